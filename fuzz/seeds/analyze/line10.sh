watch -n 5 "kubectl get pods -A | grep -v Running"
