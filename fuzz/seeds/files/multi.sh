if [ -f x ]; then helm uninstall api -n prod; elif true; then :; else exit 2; fi
case "$1" in start) systemctl start nginx ;; stop) systemctl stop nginx ;; esac
function deploy() { kubectl rollout undo deploy/api; }; deploy
while read -r l; do echo "$l"; done < <(parallel --will-cite rm ::: a b c)
busybox rm -rf /var/tmp/x; command -v git; exec 3>&1; nohup ./run.sh &
