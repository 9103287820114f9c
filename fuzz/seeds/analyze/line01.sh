sudo -u root kubectl --context prod delete ns web --wait=false
