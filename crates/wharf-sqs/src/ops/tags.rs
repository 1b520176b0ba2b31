//! TagQueue, UntagQueue, ListQueueTags.

use wharf_store::Batch;

use super::queues::validate_tags;
use crate::error::{SqsError, SqsResult};
use crate::model::*;
use crate::persist;
use crate::{await_commit, Sqs};

impl Sqs {
    pub async fn tag_queue(&self, input: TagQueueInput) -> SqsResult<Empty> {
        let queue = self.resolve(input.queue_url.as_deref())?;
        let tags = input
            .tags
            .filter(|t| !t.is_empty())
            .ok_or_else(|| SqsError::missing("Tags"))?;
        let commit = {
            let mut state = queue.state.lock();
            let new_keys = tags.keys().filter(|k| !state.tags.contains_key(*k)).count();
            validate_tags(&tags, 0)?;
            validate_tags(&Default::default(), state.tags.len() + new_keys)?;
            state.tags.extend(tags);
            let mut batch = Batch::new();
            persist::put_queue(&mut batch, &self.queue_record(&queue, &state));
            self.submit(batch)
        };
        await_commit(commit).await?;
        Ok(Empty {})
    }

    pub async fn untag_queue(&self, input: UntagQueueInput) -> SqsResult<Empty> {
        let queue = self.resolve(input.queue_url.as_deref())?;
        let keys = input
            .tag_keys
            .filter(|k| !k.is_empty())
            .ok_or_else(|| SqsError::missing("TagKeys"))?;
        let commit = {
            let mut state = queue.state.lock();
            for key in &keys {
                state.tags.remove(key);
            }
            let mut batch = Batch::new();
            persist::put_queue(&mut batch, &self.queue_record(&queue, &state));
            self.submit(batch)
        };
        await_commit(commit).await?;
        Ok(Empty {})
    }

    pub fn list_queue_tags(&self, input: QueueUrlInput) -> SqsResult<ListQueueTagsOutput> {
        let queue = self.resolve(input.queue_url.as_deref())?;
        let tags = queue.state.lock().tags.clone();
        Ok(ListQueueTagsOutput { tags })
    }
}
