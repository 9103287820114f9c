bash -c 'rm -rf "$HOME/tmp"; echo done' -- arg1
