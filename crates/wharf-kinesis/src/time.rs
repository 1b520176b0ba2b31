//! Dates in error messages, formatted like Java's `Date.toString()` in UTC (`Tue Apr 04 21:13:15 UTC 2017`),
//! which is what Kinesis prints.

pub fn java_date(epoch_millis: u64) -> String {
    let secs = i64::try_from(epoch_millis / 1000).unwrap_or(0);
    let t =
        time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let (weekday, month) = (t.weekday().to_string(), t.month().to_string());
    format!(
        "{} {} {:02} {:02}:{:02}:{:02} UTC {}",
        &weekday[..3],
        &month[..3],
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.year()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_java() {
        assert_eq!(java_date(0), "Thu Jan 01 00:00:00 UTC 1970");
        // 2017-04-04T21:13:15Z
        assert_eq!(java_date(1_491_340_395_000), "Tue Apr 04 21:13:15 UTC 2017");
        // 2024-02-29T12:00:00Z (leap day)
        assert_eq!(java_date(1_709_208_000_000), "Thu Feb 29 12:00:00 UTC 2024");
    }
}
