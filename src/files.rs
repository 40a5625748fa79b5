//! The attachment store: files in one folder, named by a random key, written through a
//! temporary file and a rename so a crash never leaves half a file under a real name.
use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct FileStore {
    dir: PathBuf,
}

impl FileStore {
    pub fn new(dir: impl Into<PathBuf>) -> FileStore {
        FileStore { dir: dir.into() }
    }

    fn path(&self, key: &str) -> Option<PathBuf> {
        // Keys are ours (hex); anything else never reaches the file system.
        (key.len() == 32 && key.bytes().all(|b| b.is_ascii_hexdigit())).then(|| self.dir.join(key))
    }

    /// Stores the bytes under a new key.
    pub async fn put(&self, bytes: &[u8]) -> std::io::Result<String> {
        tokio::fs::create_dir_all(&self.dir).await?;
        let key = crate::tokens::new_token()[..32].to_string();
        let tmp = self.dir.join(format!(".{key}.tmp"));
        tokio::fs::write(&tmp, bytes).await?;
        tokio::fs::rename(&tmp, self.dir.join(&key)).await?;
        Ok(key)
    }

    pub async fn get(&self, key: &str) -> std::io::Result<Vec<u8>> {
        let path = self
            .path(key)
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"))?;
        tokio::fs::read(path).await
    }

    pub async fn remove(&self, key: &str) -> std::io::Result<()> {
        match self.path(key) {
            Some(path) => match tokio::fs::remove_file(path).await {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                other => other,
            },
            None => Ok(()),
        }
    }
}
