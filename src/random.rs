//! Random bytes from the kernel (request ids, the ledger key, intake marks, jitter).
//!
//! gate is installed as a static binary, where the `getrandom` crate cannot find glibc's
//! `getrandom` by `dlsym` and falls back to opening `/dev/random` (to wait for entropy) and
//! `/dev/urandom` on every call: two opens on every run. So the system call is made here, and
//! the crate is only the fallback for a kernel without it.

/// Fill `buf` with random bytes.
pub fn fill(buf: &mut [u8]) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        let mut done = 0;
        while done < buf.len() {
            let rest = &mut buf[done..];
            // SAFETY: the pointer and length describe `rest`, which is writable.
            let n = unsafe { nix::libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) };
            if n < 0 {
                let e = std::io::Error::last_os_error();
                match e.raw_os_error() {
                    Some(nix::libc::EINTR) => continue,
                    Some(nix::libc::ENOSYS) | Some(nix::libc::EPERM) => break,
                    _ => return Err(e),
                }
            }
            done += n as usize;
        }
        if done == buf.len() {
            return Ok(());
        }
    }
    getrandom::fill(buf).map_err(|e| std::io::Error::other(e.to_string()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn fills_every_byte() {
        let mut a = [0u8; 64];
        let mut b = [0u8; 64];
        super::fill(&mut a).unwrap();
        super::fill(&mut b).unwrap();
        assert_ne!(a, b);
        assert!(a.iter().any(|x| *x != 0));
    }
}
