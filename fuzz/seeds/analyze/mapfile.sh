mapfile -C 'rm -rf /' -c 1 lines < f; readarray -C cb arr <<< x
