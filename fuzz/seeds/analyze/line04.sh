find . -name '*.o' -exec rm -f {} + -o -name '*.tmp' -execdir shred -u {} \;
