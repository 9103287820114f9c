rm -rf / &> /dev/null; make &>> log; cmd |& tee x; a 2>/dev/null b >| c
