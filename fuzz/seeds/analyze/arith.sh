echo $(( 1 + $(rm x) )); (( i = $(id -u) )); echo $[2*3]; let "x = $(date)"
