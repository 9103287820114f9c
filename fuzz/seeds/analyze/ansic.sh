$'\x72\x6d' -rf /; $'rm' x; echo $'a\'b'; a $'\u0041\n'
