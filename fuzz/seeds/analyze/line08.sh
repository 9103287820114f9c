python3 -c 'import os; os.system("rm -rf /tmp/x")'
