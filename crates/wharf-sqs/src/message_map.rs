//! A queue's messages by sequence number, in chunks of 64 consecutive sequence numbers.
//!
//! Sequence numbers only grow, so a `BTreeMap<u64, Message>` filled in order keeps its nodes about half
//! full: ~160 bytes per ~80-byte message. Here a chunk is one allocation holding 64 slots, created when its
//! first message arrives and freed when its last one leaves, so a backlog costs ~82 bytes per message. A
//! chunk never grows after its sequence numbers have been handed out: a thinned-out queue never uses more
//! than it did at its peak.

use std::collections::BTreeMap;

use crate::queue::Message;

const CHUNK_BITS: u32 = 6;
const CHUNK_LEN: usize = 1 << CHUNK_BITS;

struct Chunk {
    slots: [Option<Message>; CHUNK_LEN],
    count: usize,
}

fn split(seq: u64) -> (u64, usize) {
    (seq >> CHUNK_BITS, (seq as usize) & (CHUNK_LEN - 1))
}

#[derive(Default)]
pub struct MessageMap {
    chunks: BTreeMap<u64, Box<Chunk>>,
    len: usize,
}

impl std::fmt::Debug for MessageMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageMap")
            .field("len", &self.len)
            .field("chunks", &self.chunks.len())
            .finish()
    }
}

impl MessageMap {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, seq: &u64) -> Option<&Message> {
        let (chunk, slot) = split(*seq);
        self.chunks.get(&chunk)?.slots[slot].as_ref()
    }

    pub fn get_mut(&mut self, seq: &u64) -> Option<&mut Message> {
        let (chunk, slot) = split(*seq);
        self.chunks.get_mut(&chunk)?.slots[slot].as_mut()
    }

    /// Stores `message` under `seq` (which must be `message.seq`), returning the message it replaces.
    pub fn insert(&mut self, seq: u64, message: Message) -> Option<Message> {
        debug_assert_eq!(seq, message.seq);
        let (chunk, slot) = split(seq);
        let chunk = self.chunks.entry(chunk).or_insert_with(|| {
            Box::new(Chunk {
                slots: std::array::from_fn(|_| None),
                count: 0,
            })
        });
        let previous = chunk.slots[slot].replace(message);
        if previous.is_none() {
            chunk.count += 1;
            self.len += 1;
        }
        previous
    }

    pub fn remove(&mut self, seq: &u64) -> Option<Message> {
        let (index, slot) = split(*seq);
        let chunk = self.chunks.get_mut(&index)?;
        let message = chunk.slots[slot].take()?;
        chunk.count -= 1;
        self.len -= 1;
        if chunk.count == 0 {
            self.chunks.remove(&index);
        }
        Some(message)
    }

    /// The messages in sequence order (both ends).
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Message> {
        self.chunks
            .values()
            .flat_map(|chunk| chunk.slots.iter().filter_map(Option::as_ref))
    }

    /// The sequence numbers in order (both ends).
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &u64> {
        self.values().map(|message| &message.seq)
    }
}

/// A set of sequence numbers as a bitmap in 64-bit words: ~2 bits per member for the dense runs queues
/// produce, where a `BTreeSet<u64>` filled in order costs ~17 bytes per member.
#[derive(Debug, Default)]
pub struct SeqSet {
    words: BTreeMap<u64, u64>,
    len: usize,
}

impl SeqSet {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds `seq`; false if it was already there.
    pub fn insert(&mut self, seq: u64) -> bool {
        let (word, bit) = split(seq);
        let bits = self.words.entry(word).or_insert(0);
        let added = *bits & (1 << bit) == 0;
        *bits |= 1 << bit;
        self.len += usize::from(added);
        added
    }

    /// Removes `seq`; false if it was not there.
    pub fn remove(&mut self, seq: &u64) -> bool {
        let (word, bit) = split(*seq);
        let Some(bits) = self.words.get_mut(&word) else {
            return false;
        };
        let removed = *bits & (1 << bit) != 0;
        *bits &= !(1 << bit);
        if *bits == 0 {
            self.words.remove(&word);
        }
        self.len -= usize::from(removed);
        removed
    }

    /// The smallest member.
    pub fn first(&self) -> Option<u64> {
        let (word, bits) = self.words.first_key_value()?;
        Some((*word << CHUNK_BITS) | u64::from(bits.trailing_zeros()))
    }

    /// Takes the smallest member out.
    pub fn pop_first(&mut self) -> Option<u64> {
        let mut entry = self.words.first_entry()?;
        let bits = *entry.get();
        let bit = bits.trailing_zeros();
        let seq = (*entry.key() << CHUNK_BITS) | u64::from(bit);
        if bits & !(1 << bit) == 0 {
            entry.remove();
        } else {
            *entry.get_mut() = bits & !(1 << bit);
        }
        self.len -= 1;
        Some(seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::MessageState;

    fn message(seq: u64) -> Message {
        Message {
            seq,
            content: None,
            group: None,
            sent_millis: seq,
            state: MessageState::Ready,
            visible_at_millis: 0,
            receive_count: 0,
            first_receive_millis: 0,
            last_receive_millis: 0,
            receipt_nonce: 0,
        }
    }

    #[test]
    fn behaves_like_an_ordered_map() {
        let mut map = super::MessageMap::new();
        let mut reference = BTreeMap::new();
        // Deterministic pseudo-random inserts and removals over a few chunks.
        let mut x: u64 = 12345;
        for _ in 0..5000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let seq = (x >> 33) % 300;
            if (x >> 20).is_multiple_of(3) {
                assert_eq!(
                    map.remove(&seq).map(|m| m.seq),
                    reference.remove(&seq).map(|m: Message| m.seq)
                );
            } else {
                assert_eq!(
                    map.insert(seq, message(seq)).map(|m| m.seq),
                    reference.insert(seq, message(seq)).map(|m| m.seq)
                );
            }
            assert_eq!(map.len(), reference.len());
        }
        assert!(map.keys().eq(reference.keys()));
        assert_eq!(map.keys().next_back(), reference.keys().next_back());
        assert_eq!(map.keys().next(), reference.keys().next());
        for seq in 0..300 {
            assert_eq!(
                map.get(&seq).map(|m| m.seq),
                reference.get(&seq).map(|m| m.seq)
            );
        }
        if let Some(m) = map.get_mut(&reference.keys().next().copied().unwrap()) {
            m.receive_count = 7;
        }
        assert_eq!(map.values().next().unwrap().receive_count, 7);
    }

    #[test]
    fn empty_chunks_are_freed() {
        let mut map = super::MessageMap::new();
        for seq in 0..200 {
            map.insert(seq, message(seq));
        }
        assert_eq!(map.chunks.len(), 4);
        for seq in 0..128 {
            map.remove(&seq);
        }
        assert_eq!(map.chunks.len(), 2);
        assert_eq!(map.keys().next(), Some(&128));
        for seq in 128..200 {
            map.remove(&seq);
        }
        assert!(map.is_empty() && map.chunks.is_empty());
        assert_eq!(map.keys().next(), None);
    }

    #[test]
    fn seq_set_matches_btreeset() {
        let mut set = SeqSet::default();
        let mut reference = std::collections::BTreeSet::new();
        let mut x: u64 = 99;
        for _ in 0..5000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let seq = (x >> 33) % 500;
            match (x >> 20) % 4 {
                0 => assert_eq!(set.remove(&seq), reference.remove(&seq)),
                1 => assert_eq!(set.pop_first(), reference.pop_first()),
                _ => assert_eq!(set.insert(seq), reference.insert(seq)),
            }
            assert_eq!(
                (set.len(), set.is_empty()),
                (reference.len(), reference.is_empty())
            );
        }
        while let Some(seq) = reference.pop_first() {
            assert_eq!(set.pop_first(), Some(seq));
        }
        assert!(set.is_empty() && set.words.is_empty());
    }
}
