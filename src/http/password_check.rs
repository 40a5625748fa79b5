//! Password checks on a small pool of dedicated threads. argon2id takes about 19 MB per
//! check; run on tokio's blocking pool, each check could land on a new thread whose malloc
//! arena then keeps that memory, so a burst of sign-ins grew the process by hundreds of MB.
//! Two long-lived threads cap both the parallel checks and the memory they keep.
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

type Job = (String, String, tokio::sync::oneshot::Sender<bool>);

pub struct PasswordChecker {
    jobs: Mutex<mpsc::Sender<Job>>,
}

impl PasswordChecker {
    pub fn new(threads: usize) -> PasswordChecker {
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for n in 0..threads {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("password-check-{n}"))
                .spawn(move || {
                    loop {
                        let job = receiver.lock().unwrap_or_else(|p| p.into_inner()).recv();
                        let Ok((password, hash, reply)) = job else { break };
                        let valid = password_auth::verify_password(password.as_bytes(), &hash).is_ok();
                        let _ = reply.send(valid);
                    }
                })
                .expect("a password-check thread starts");
        }
        PasswordChecker {
            jobs: Mutex::new(sender),
        }
    }

    /// Does `password` match the argon2 `hash`? Waits its turn behind the checks running.
    pub async fn verify(&self, password: String, hash: String) -> Result<bool, crate::error::AppError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send((password, hash, reply))
            .map_err(|_| crate::error::AppError::internal("the password checks stopped"))?;
        answer
            .await
            .map_err(|_| crate::error::AppError::internal("a password check failed"))
    }
}
