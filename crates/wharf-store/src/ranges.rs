//! Range deletions ("range tombstones") of the disk backend.
//!
//! A [`Batch::delete_range`](crate::Batch::delete_range) is stored as one record in the store-internal
//! fjall keyspace [`RANGES_KEYSPACE`] (key: keyspace index byte + range start; value: [`encode_end`]),
//! written in the same atomic fjall batch as the rest of its group. The set of live ranges is kept in
//! memory ([`RangeSet`], loaded at open), every read filters the keys it covers, and the reclaimer
//! (`reclaim.rs`) removes the covered keys physically and then forgets the range.

use std::collections::BTreeMap;
use std::ops::Bound;

use crate::{Keyspace, StoreError};

/// Name of the fjall keyspace holding the range records.
pub(crate) const RANGES_KEYSPACE: &str = "store_ranges";

/// A key the store keeps in every keyspace it reclaims ranges in, never shown to readers and refused in
/// batches. Rewritten and flushed before a reclaim drops whole tables, so that the newest table of the
/// keyspace is never one that is dropped (see `reclaim.rs` for why). `0xFF` never occurs in UTF-8, so no
/// name-keyed record can collide with it; binary keys of the engines start with small big-endian ids.
pub(crate) const ANCHOR_KEY: &[u8] = b"\xff\xff\xffwharf-store-anchor";

const RECORD_VERSION: u8 = 1;

/// One live range deletion: `start..end` (`end: None`: unbounded) of one keyspace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Tomb {
    pub end: Option<Vec<u8>>,
    /// Process-local identity (not persisted): a reclaim may only finish the range it started on.
    pub id: u64,
}

/// The live range deletions, per keyspace: disjoint, non-adjacent ranges keyed by start.
#[derive(Clone, Debug, Default)]
pub(crate) struct RangeSet {
    maps: Vec<BTreeMap<Vec<u8>, Tomb>>,
    next_id: u64,
}

fn end_after(end: &Option<Vec<u8>>, key: &[u8]) -> bool {
    end.as_deref().is_none_or(|end| key < end)
}

/// `a <= b` for range ends, `None` being infinity.
pub(crate) fn end_le(a: &Option<Vec<u8>>, b: &Option<Vec<u8>>) -> bool {
    match (a, b) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(a), Some(b)) => a <= b,
    }
}

impl RangeSet {
    pub(crate) fn new() -> RangeSet {
        RangeSet {
            maps: (0..Keyspace::COUNT).map(|_| BTreeMap::new()).collect(),
            next_id: 1,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.maps.iter().all(BTreeMap::is_empty)
    }

    pub(crate) fn len(&self) -> usize {
        self.maps.iter().map(BTreeMap::len).sum()
    }

    pub(crate) fn has_any(&self, ks: Keyspace) -> bool {
        !self.maps[ks.index()].is_empty()
    }

    /// The live range containing `key`, as `(start, tomb)`.
    pub(crate) fn covering(&self, ks: Keyspace, key: &[u8]) -> Option<(&Vec<u8>, &Tomb)> {
        if key == ANCHOR_KEY {
            return None;
        }
        let map = &self.maps[ks.index()];
        let (start, tomb) = map
            .range::<[u8], _>((Bound::Unbounded, Bound::Included(key)))
            .next_back()?;
        end_after(&tomb.end, key).then_some((start, tomb))
    }

    pub(crate) fn covers(&self, ks: Keyspace, key: &[u8]) -> bool {
        !self.maps[ks.index()].is_empty() && self.covering(ks, key).is_some()
    }

    /// Adds `start..end`, merged with every live range it overlaps or touches (the merged range keeps the
    /// identity of the first of them, so a reclaim in progress on it can still finish its part).
    pub(crate) fn insert(&mut self, ks: Keyspace, start: Vec<u8>, end: Option<Vec<u8>>) {
        if end.as_deref().is_some_and(|end| end <= start.as_slice()) {
            return;
        }
        let map = &mut self.maps[ks.index()];
        let (mut start, mut end) = (start, end);
        let mut id = None;
        // A range starting before `start` and reaching it.
        if let Some((s, t)) = map
            .range::<[u8], _>((Bound::Unbounded, Bound::Included(start.as_slice())))
            .next_back()
        {
            if t.end.as_deref().is_none_or(|e| e >= start.as_slice()) {
                start = s.clone();
            }
        }
        // Every range starting in `start..=end` is absorbed.
        let absorbed: Vec<Vec<u8>> = map
            .range::<[u8], _>((Bound::Included(start.as_slice()), Bound::Unbounded))
            .take_while(|(s, _)| end.as_deref().is_none_or(|e| s.as_slice() <= e))
            .map(|(s, _)| s.clone())
            .collect();
        for s in absorbed {
            if let Some(t) = map.remove(&s) {
                id.get_or_insert(t.id);
                if !end_le(&t.end, &end) {
                    end = t.end;
                }
            }
        }
        let id = id.unwrap_or_else(|| {
            self.next_id += 1;
            self.next_id
        });
        map.insert(start, Tomb { end, id });
    }

    /// Forgets the live range containing `key` entirely (returns it).
    pub(crate) fn remove_covering(
        &mut self,
        ks: Keyspace,
        key: &[u8],
    ) -> Option<(Vec<u8>, Option<Vec<u8>>)> {
        let start = self.covering(ks, key)?.0.clone();
        let tomb = self.maps[ks.index()].remove(&start)?;
        Some((start, tomb.end))
    }

    /// Removes `start..end` from the range `id` if that range still covers all of it; false otherwise.
    pub(crate) fn subtract(
        &mut self,
        ks: Keyspace,
        id: u64,
        start: &[u8],
        end: &Option<Vec<u8>>,
    ) -> bool {
        let map = &mut self.maps[ks.index()];
        let Some((s, t)) = map
            .range::<[u8], _>((Bound::Unbounded, Bound::Included(start)))
            .next_back()
        else {
            return false;
        };
        if t.id != id || !end_le(end, &t.end) {
            return false;
        }
        let (s, t) = (s.clone(), t.clone());
        map.remove(&s);
        if s.as_slice() < start {
            map.insert(
                s,
                Tomb {
                    end: Some(start.to_vec()),
                    id,
                },
            );
        }
        if let Some(end) = end {
            if end_after(&t.end, end) {
                map.insert(end.clone(), Tomb { end: t.end, id });
            }
        }
        true
    }

    /// The live ranges of `ks`, in key order.
    pub(crate) fn list(&self, ks: Keyspace) -> Vec<(Vec<u8>, Tomb)> {
        self.maps[ks.index()]
            .iter()
            .map(|(s, t)| (s.clone(), t.clone()))
            .collect()
    }

    /// The parts of `start..end` not covered by a live range, in key order.
    pub(crate) fn gaps(
        &self,
        ks: Keyspace,
        start: &[u8],
        end: Option<&[u8]>,
    ) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
        let map = &self.maps[ks.index()];
        let mut out = Vec::new();
        let mut cursor = start.to_vec();
        // A range starting before `start` may cover its beginning.
        if let Some((_, t)) = map
            .range::<[u8], _>((Bound::Unbounded, Bound::Included(start)))
            .next_back()
        {
            match &t.end {
                None => return out,
                Some(e) if e.as_slice() > start => cursor = e.clone(),
                Some(_) => {}
            }
        }
        for (s, t) in map.range::<[u8], _>((Bound::Excluded(start), Bound::Unbounded)) {
            if end.is_some_and(|end| s.as_slice() >= end) {
                break;
            }
            if s.as_slice() > cursor.as_slice() {
                out.push((cursor.clone(), Some(s.clone())));
            }
            match &t.end {
                None => return out,
                Some(e) => cursor = cursor.max(e.clone()),
            }
        }
        if end.is_none_or(|end| cursor.as_slice() < end) {
            out.push((cursor, end.map(<[u8]>::to_vec)));
        }
        out
    }

    /// The record changes that turn the persisted form of `old` into that of `self`.
    pub(crate) fn diff(&self, old: &RangeSet) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
        let mut out = Vec::new();
        for ks in Keyspace::ALL {
            let (new_map, old_map) = (&self.maps[ks.index()], &old.maps[ks.index()]);
            for start in old_map.keys() {
                if !new_map.contains_key(start) {
                    out.push((record_key(ks, start), None));
                }
            }
            for (start, tomb) in new_map {
                if old_map.get(start).is_none_or(|t| t.end != tomb.end) {
                    out.push((record_key(ks, start), Some(encode_end(&tomb.end))));
                }
            }
        }
        out
    }

    /// Adds one persisted record (at open).
    pub(crate) fn load_record(&mut self, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        let corrupt = || {
            StoreError::Engine(format!(
                "corrupt range deletion record in {RANGES_KEYSPACE}: key {key:?}, value {value:?}"
            ))
        };
        let (&index, start) = key.split_first().ok_or_else(corrupt)?;
        let ks = *Keyspace::ALL.get(usize::from(index)).ok_or_else(corrupt)?;
        let end = match value {
            [RECORD_VERSION, 0] => None,
            [RECORD_VERSION, 1, end @ ..] => Some(end.to_vec()),
            _ => return Err(corrupt()),
        };
        self.insert(ks, start.to_vec(), end);
        Ok(())
    }
}

pub(crate) fn record_key(ks: Keyspace, start: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(1 + start.len());
    // Keyspace::index() < Keyspace::COUNT, which fits a byte.
    key.push(ks.index() as u8);
    key.extend_from_slice(start);
    key
}

/// Record value: version byte, then `0` (no upper bound) or `1` followed by the end key.
pub(crate) fn encode_end(end: &Option<Vec<u8>>) -> Vec<u8> {
    match end {
        None => vec![RECORD_VERSION, 0],
        Some(end) => {
            let mut out = Vec::with_capacity(2 + end.len());
            out.extend_from_slice(&[RECORD_VERSION, 1]);
            out.extend_from_slice(end);
            out
        }
    }
}

/// The key right after `key` in byte order.
pub(crate) fn successor(key: &[u8]) -> Vec<u8> {
    let mut next = Vec::with_capacity(key.len() + 1);
    next.extend_from_slice(key);
    next.push(0);
    next
}

pub(crate) fn bounds(start: &[u8], end: Option<&[u8]>) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    (
        Bound::Included(start.to_vec()),
        end.map_or(Bound::Unbounded, |e| Bound::Excluded(e.to_vec())),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const KS: Keyspace = Keyspace::SqsMessages;

    fn v(s: &str) -> Vec<u8> {
        s.as_bytes().to_vec()
    }

    fn ranges(set: &RangeSet) -> Vec<(String, Option<String>)> {
        set.list(KS)
            .into_iter()
            .map(|(s, t)| {
                (
                    String::from_utf8(s).unwrap(),
                    t.end.map(|e| String::from_utf8(e).unwrap()),
                )
            })
            .collect()
    }

    fn r(s: &str, e: Option<&str>) -> (String, Option<String>) {
        (s.to_string(), e.map(str::to_string))
    }

    #[test]
    fn insert_merges_overlapping_and_touching_ranges() {
        let mut set = RangeSet::new();
        set.insert(KS, v("c"), Some(v("e")));
        set.insert(KS, v("a"), Some(v("b")));
        set.insert(KS, v("x"), Some(v("y")));
        assert_eq!(
            ranges(&set),
            vec![r("a", Some("b")), r("c", Some("e")), r("x", Some("y"))]
        );
        let id = set.list(KS)[1].1.id;
        set.insert(KS, v("e"), Some(v("f"))); // touches c..e
        set.insert(KS, v("d"), Some(v("ee"))); // inside
        assert_eq!(
            ranges(&set),
            vec![r("a", Some("b")), r("c", Some("f")), r("x", Some("y"))]
        );
        assert_eq!(set.list(KS)[1].1.id, id);
        set.insert(KS, v("b"), None);
        assert_eq!(ranges(&set), vec![r("a", None)]);
        set.insert(KS, v("q"), Some(v("p"))); // empty
        assert_eq!(set.len(), 1);
        assert!(!set.covers(Keyspace::SqsState, b"zz"));
        assert!(set.covers(KS, b"zz"));
        assert!(!set.covers(KS, ANCHOR_KEY));
    }

    #[test]
    fn gaps_and_coverage() {
        let mut set = RangeSet::new();
        set.insert(KS, v("b"), Some(v("d")));
        set.insert(KS, v("f"), Some(v("g")));
        assert!(!set.covers(KS, b"a"));
        assert!(set.covers(KS, b"b"));
        assert!(set.covers(KS, b"c\xff"));
        assert!(!set.covers(KS, b"d"));
        let gaps = |set: &RangeSet, s: &str, e: Option<&str>| {
            set.gaps(KS, s.as_bytes(), e.map(str::as_bytes))
                .into_iter()
                .map(|(s, e)| {
                    (
                        String::from_utf8(s).unwrap(),
                        e.map(|e| String::from_utf8(e).unwrap()),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            gaps(&set, "", None),
            vec![r("", Some("b")), r("d", Some("f")), r("g", None)]
        );
        assert_eq!(gaps(&set, "c", Some("e")), vec![r("d", Some("e"))]);
        assert_eq!(gaps(&set, "b", Some("d")), vec![]);
        assert_eq!(gaps(&set, "b", Some("f")), vec![r("d", Some("f"))]);
        assert_eq!(gaps(&set, "x", Some("z")), vec![r("x", Some("z"))]);
        set.insert(KS, v("e"), None);
        assert_eq!(
            gaps(&set, "a", None),
            vec![r("a", Some("b")), r("d", Some("e"))]
        );
    }

    #[test]
    fn subtract_only_what_the_same_range_still_covers() {
        let mut set = RangeSet::new();
        set.insert(KS, v("b"), Some(v("f")));
        let id = set.list(KS)[0].1.id;
        assert!(!set.subtract(KS, id + 1, b"b", &Some(v("f"))));
        assert!(!set.subtract(KS, id, b"b", &Some(v("g"))));
        assert!(set.subtract(KS, id, b"c", &Some(v("d"))));
        assert_eq!(ranges(&set), vec![r("b", Some("c")), r("d", Some("f"))]);
        assert!(set.subtract(KS, id, b"d", &Some(v("f"))));
        assert!(set.subtract(KS, id, b"b", &Some(v("c"))));
        assert!(set.is_empty());
        set.insert(KS, v("a"), None);
        let id = set.list(KS)[0].1.id;
        assert!(set.subtract(KS, id, b"a", &Some(v("m"))));
        assert_eq!(ranges(&set), vec![r("m", None)]);
        assert!(set.subtract(KS, id, b"m", &None));
        assert!(set.is_empty());
    }

    #[test]
    fn records_round_trip() {
        let mut set = RangeSet::new();
        set.insert(KS, v("a"), Some(v("b")));
        set.insert(Keyspace::Meta, Vec::new(), None);
        let empty = RangeSet::new();
        let mut loaded = RangeSet::new();
        for (key, value) in set.diff(&empty) {
            loaded.load_record(&key, &value.unwrap()).unwrap();
        }
        assert_eq!(ranges(&loaded), ranges(&set));
        assert!(loaded.covers(Keyspace::Meta, b"anything"));
        assert_eq!(
            empty.diff(&set).iter().filter(|(_, v)| v.is_none()).count(),
            2
        );
        assert!(loaded.load_record(&[200, 1], &[1, 0]).is_err());
        assert!(loaded.load_record(&[0, 1], &[9]).is_err());
    }
}
