//! AddTagsToStream, RemoveTagsFromStream, ListTagsForStream and the ARN-based TagResource,
//! UntagResource, ListTagsForResource (streams and consumers).

use std::collections::BTreeMap;

use super::{check_stream_ref, check_tag_keys, check_tags, require_resource_arn};
use crate::error::{KinesisError, KinesisResult, Validation};
use crate::model::*;
use crate::stream::Stream;
use crate::throttle::api;
use crate::{await_commit, limits, Kinesis};

impl Kinesis {
    pub async fn add_tags_to_stream(&self, input: AddTagsToStreamInput) -> KinesisResult<Empty> {
        let mut v = Validation::new();
        check_stream_ref(&mut v, &input.stream);
        if let Some(tags) = v.required(&input.tags, "tags") {
            check_tags(&mut v, tags, "tags");
        }
        v.finish()?;
        self.rate_limit_ref(api::ADD_TAGS_TO_STREAM, &input.stream)?;
        let stream = self.active_stream(&input.stream)?;
        self.apply_tags(&stream, None, input.tags.unwrap_or_default())
            .await
    }

    pub async fn remove_tags_from_stream(
        &self,
        input: RemoveTagsFromStreamInput,
    ) -> KinesisResult<Empty> {
        let mut v = Validation::new();
        check_stream_ref(&mut v, &input.stream);
        if let Some(keys) = v.required(&input.tag_keys, "tagKeys") {
            check_tag_keys(&mut v, keys, "tagKeys");
        }
        v.finish()?;
        self.rate_limit_ref(api::REMOVE_TAGS_FROM_STREAM, &input.stream)?;
        let stream = self.active_stream(&input.stream)?;
        self.remove_tags(&stream, None, input.tag_keys.unwrap_or_default())
            .await
    }

    pub fn list_tags_for_stream(
        &self,
        input: ListTagsForStreamInput,
    ) -> KinesisResult<ListTagsForStreamOutput> {
        let mut v = Validation::new();
        check_stream_ref(&mut v, &input.stream);
        // AWS's order (kinesalite's recording): limit, exclusiveStartTagKey, then the stream.
        if let Some(limit) = input.limit {
            v.range(limit, "limit", Some(1), Some(50));
        }
        if let Some(key) = &input.exclusive_start_tag_key {
            v.length(key, "exclusiveStartTagKey", 1, 128);
        }
        v.finish()?;
        self.rate_limit_ref(api::LIST_TAGS_FOR_STREAM, &input.stream)?;
        let stream = self.stream(&input.stream)?;
        let meta = stream.meta.read();
        let limit = input.limit.unwrap_or(50) as usize;
        let mut tags: Vec<Tag> = meta
            .tags
            .iter()
            .filter(|(k, _)| {
                input
                    .exclusive_start_tag_key
                    .as_ref()
                    .is_none_or(|start| *k > start)
            })
            .map(|(k, v)| Tag {
                key: k.clone(),
                value: Some(v.clone()),
            })
            .take(limit + 1)
            .collect();
        let has_more = tags.len() > limit;
        tags.truncate(limit);
        Ok(ListTagsForStreamOutput {
            tags,
            has_more_tags: has_more,
        })
    }

    pub async fn tag_resource(&self, input: TagResourceInput) -> KinesisResult<Empty> {
        let mut v = Validation::new();
        require_resource_arn(&mut v, &input.resource_arn);
        if let Some(tags) = v.required(&input.tags, "tags") {
            check_tags(&mut v, tags, "tags");
        }
        v.finish()?;
        let arn = input.resource_arn.unwrap_or_default();
        self.rate_limit(api::TAG_RESOURCE, None)?;
        let stream = self.stream_of_resource(&arn)?;
        let consumer = self.consumer_by_arn(&stream, &arn);
        self.apply_tags(&stream, consumer, input.tags.unwrap_or_default())
            .await
    }

    pub async fn untag_resource(&self, input: UntagResourceInput) -> KinesisResult<Empty> {
        let mut v = Validation::new();
        require_resource_arn(&mut v, &input.resource_arn);
        if let Some(keys) = v.required(&input.tag_keys, "tagKeys") {
            check_tag_keys(&mut v, keys, "tagKeys");
        }
        v.finish()?;
        let arn = input.resource_arn.unwrap_or_default();
        self.rate_limit(api::UNTAG_RESOURCE, None)?;
        let stream = self.stream_of_resource(&arn)?;
        let consumer = self.consumer_by_arn(&stream, &arn);
        self.remove_tags(&stream, consumer, input.tag_keys.unwrap_or_default())
            .await
    }

    pub fn list_tags_for_resource(
        &self,
        input: ListTagsForResourceInput,
    ) -> KinesisResult<ListTagsForResourceOutput> {
        let mut v = Validation::new();
        require_resource_arn(&mut v, &input.resource_arn);
        v.finish()?;
        let arn = input.resource_arn.unwrap_or_default();
        self.rate_limit(api::LIST_TAGS_FOR_RESOURCE, None)?;
        let stream = self.stream_of_resource(&arn)?;
        let consumer = self.consumer_by_arn(&stream, &arn);
        let meta = stream.meta.read();
        let tags = match &consumer {
            Some(name) => meta
                .consumers
                .get(name)
                .map(|c| c.tags.clone())
                .unwrap_or_default(),
            None => meta.tags.clone(),
        };
        Ok(ListTagsForResourceOutput {
            tags: tags
                .into_iter()
                .map(|(key, value)| Tag {
                    key,
                    value: Some(value),
                })
                .collect(),
        })
    }

    /// Adds tags to the stream, or to its consumer `consumer`.
    async fn apply_tags(
        &self,
        stream: &Stream,
        consumer: Option<String>,
        tags: BTreeMap<String, String>,
    ) -> KinesisResult<Empty> {
        check_tag_chars(tags.iter().flat_map(|(k, v)| [k, v]))?;
        for key in tags.keys() {
            if key.to_ascii_lowercase().starts_with("aws:") {
                return Err(KinesisError::invalid_argument(format!(
                    "Tag key {key} uses the reserved prefix aws:."
                )));
            }
        }
        let commit = {
            let mut meta = stream.meta.write();
            let target = match &consumer {
                Some(name) => match meta.consumers.get_mut(name) {
                    Some(c) => &mut c.tags,
                    None => return Err(self.not_found(&stream.name)),
                },
                None => &mut meta.tags,
            };
            let new_keys = tags.keys().filter(|k| !target.contains_key(*k)).count();
            // InvalidArgumentException, as kinesalite recorded from AWS (when the quota was 10): the
            // quota is 50 per stream, any number of them in one call (API reference, AddTagsToStream).
            if target.len() + new_keys > limits::MAX_TAGS {
                return Err(KinesisError::invalid_argument(format!(
                    "Failed to add tags to stream {} under account {} because a given stream cannot have \
                     more than {} tags associated with it.",
                    stream.name,
                    self.config.account_id,
                    limits::MAX_TAGS
                )));
            }
            target.extend(tags);
            self.persist_meta(stream, &meta)
        };
        await_commit(commit).await?;
        Ok(Empty {})
    }

    async fn remove_tags(
        &self,
        stream: &Stream,
        consumer: Option<String>,
        keys: Vec<String>,
    ) -> KinesisResult<Empty> {
        check_tag_chars(keys.iter())?;
        let commit = {
            let mut meta = stream.meta.write();
            let target = match &consumer {
                Some(name) => match meta.consumers.get_mut(name) {
                    Some(c) => &mut c.tags,
                    None => return Err(self.not_found(&stream.name)),
                },
                None => &mut meta.tags,
            };
            for key in &keys {
                target.remove(key);
            }
            self.persist_meta(stream, &meta)
        };
        await_commit(commit).await?;
        Ok(Empty {})
    }
}

/// Tag keys and values may only use Unicode letters, digits, white space and `_ . / = + - % @` (and
/// `:`); the message is AWS's (kinesalite's recordings).
pub(crate) fn check_tag_chars<'a>(
    mut texts: impl Iterator<Item = &'a String>,
) -> KinesisResult<()> {
    if texts.any(|t| !super::tag_chars_ok(t)) {
        return Err(KinesisError::invalid_argument(
            "Some tags contain invalid characters. Valid characters: Unicode letters, digits, white \
             space, _ . / = + - % @.",
        ));
    }
    Ok(())
}
