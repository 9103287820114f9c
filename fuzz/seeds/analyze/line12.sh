sudo sh -s <<< 'apt-get remove -y nginx'
