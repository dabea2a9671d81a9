//! Finding a tracked task by its source and id, for [`Tracker::poll_now`](super::Tracker::poll_now).

use super::SourceId;
use hashbrown::HashTable;
use std::hash::{BuildHasher, RandomState};

/// The slab keys of the tracked tasks, by the hash of (source, task id). The table holds only
/// the keys (8 bytes and a control byte per task); the ids stay in the tasks themselves, and
/// lookups compare against them.
#[derive(Default)]
pub(super) struct TaskIndex {
    table: HashTable<usize>,
    hasher: RandomState,
}

impl TaskIndex {
    fn hash(&self, source: SourceId, task_id: &str) -> u64 {
        self.hasher.hash_one((source, task_id))
    }

    /// Adds the task at slab `key`; `key_of` gives any indexed key's (source, id), for
    /// rehashing when the table grows.
    pub(super) fn insert<'a>(
        &mut self,
        key: usize,
        source: SourceId,
        task_id: &str,
        key_of: impl Fn(usize) -> (SourceId, &'a str),
    ) {
        let hash = self.hash(source, task_id);
        let hasher = &self.hasher;
        self.table.insert_unique(hash, key, |&k| {
            let (s, id) = key_of(k);
            hasher.hash_one((s, id))
        });
    }

    /// Removes the task at slab `key`.
    pub(super) fn remove(&mut self, key: usize, source: SourceId, task_id: &str) {
        let hash = self.hash(source, task_id);
        if let Ok(entry) = self.table.find_entry(hash, |&k| k == key) {
            entry.remove();
        }
    }

    /// The slab keys of the tasks tracked as `task_id` of `source` (usually one; a task
    /// tracked twice is there twice); `is` tells whether a key is that task.
    pub(super) fn find(
        &self,
        source: SourceId,
        task_id: &str,
        is: impl Fn(usize) -> bool,
    ) -> Vec<usize> {
        self.table
            .iter_hash(self.hash(source, task_id))
            .copied()
            .filter(|&k| is(k))
            .collect()
    }
}
