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

    /// Starts a new file, written chunk by chunk into a temporary file: an upload never has
    /// to be held in memory whole.
    pub async fn begin(&self) -> std::io::Result<IncomingFile> {
        tokio::fs::create_dir_all(&self.dir).await?;
        let key = crate::tokens::new_token()[..32].to_string();
        let tmp = self.dir.join(format!(".{key}.tmp"));
        let file = tokio::fs::File::create(&tmp).await?;
        Ok(IncomingFile {
            file,
            tmp: Some(tmp),
            key,
            dir: self.dir.clone(),
            probe: crate::domain::attachments::ContentProbe::default(),
        })
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

/// A file being received. Dropped without `keep` (refused, or the client went away), its
/// temporary file is removed.
pub struct IncomingFile {
    file: tokio::fs::File,
    tmp: Option<PathBuf>,
    key: String,
    dir: PathBuf,
    probe: crate::domain::attachments::ContentProbe,
}

impl IncomingFile {
    pub async fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        use tokio::io::AsyncWriteExt;
        self.probe.feed(chunk);
        self.file.write_all(chunk).await
    }

    /// Bytes received so far.
    pub fn size(&self) -> u64 {
        self.probe.size()
    }

    /// Ends the file: what it holds, and the file itself, to `keep` or drop.
    pub async fn finish(mut self) -> std::io::Result<(crate::domain::attachments::Received, FinishedFile)> {
        use tokio::io::AsyncWriteExt;
        self.file.flush().await?;
        self.file.sync_all().await?;
        let probe = std::mem::take(&mut self.probe);
        let finished = FinishedFile {
            tmp: self.tmp.take(),
            key: std::mem::take(&mut self.key),
            dir: self.dir.clone(),
        };
        Ok((probe.finish(), finished))
    }
}

impl Drop for IncomingFile {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// A whole file not yet under its key: `keep` renames it there (atomically), dropping removes it.
pub struct FinishedFile {
    tmp: Option<PathBuf>,
    key: String,
    dir: PathBuf,
}

impl FinishedFile {
    /// Stores the file under its key and returns the key.
    pub async fn keep(mut self) -> std::io::Result<String> {
        let tmp = self.tmp.take().expect("a finished file has its temporary file");
        if let Err(e) = tokio::fs::rename(&tmp, self.dir.join(&self.key)).await {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e);
        }
        Ok(std::mem::take(&mut self.key))
    }
}

impl Drop for FinishedFile {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            let _ = std::fs::remove_file(tmp);
        }
    }
}
