eval "$CMD" ; $(echo rm) -rf / ; x=$((1+2)); echo ${x:-default} `uname -a`
