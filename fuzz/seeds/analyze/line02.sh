git commit -m "$(date +%F) $(git rev-parse --short HEAD)" && git push --force origin main
