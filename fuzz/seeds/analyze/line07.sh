ssh -p 2222 deploy@host 'cd /srv && docker compose down -v' 2>&1 | tee log
