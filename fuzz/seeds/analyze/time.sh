time { rm -rf /tmp/a; } 2>&1; time -p sleep 1
