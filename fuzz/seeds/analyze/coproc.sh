coproc rm -rf x; coproc NAME { kubectl get pods; }; echo ${NAME[1]}
