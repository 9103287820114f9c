env FOO=1 BAR="x y" timeout 30 nice -n 10 xargs -0 -n1 rm -- < files.txt
