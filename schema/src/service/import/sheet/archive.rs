//! The zip around an XLSX workbook, bounded before calamine opens it: the
//! zip's own figures (entry sizes, the shared strings' `uniqueCount`) are
//! the sender's word and never size an allocation, so every entry is
//! inflated once through a metered reader that stops at its cap (a zip bomb
//! stops there, not after inflating), and the shared-strings part, which
//! calamine reads whole when the workbook opens, is counted first.

use std::cell::Cell as Tally;
use std::fmt::Display;
use std::io::{self, BufReader, Cursor, Read};
use std::time::Instant;

use quick_xml::events::Event;

use super::Table;
use crate::error::{ApiError, ApiResult};

/// Entries in the zip: a workbook has a dozen or two.
pub const MAX_ZIP_ENTRIES: usize = 1_000;
/// The largest any one part may inflate to: a 10,000-row template's sheet
/// is about 5 MB of XML.
pub const MAX_PART_BYTES: u64 = 16 * 1024 * 1024;
/// The largest the shared strings may inflate to (calamine keeps them all).
pub const MAX_SHARED_STRINGS_BYTES: u64 = 8 * 1024 * 1024;
/// Shared strings, each kept as a string of its own: a 10,000-row
/// template has a few tens of thousands.
pub const MAX_SHARED_STRINGS: usize = 200_000;
/// What all the parts together may inflate to.
pub const MAX_INFLATED_BYTES: u64 = 64 * 1024 * 1024;

pub(super) fn unreadable(e: impl Display) -> ApiError {
    ApiError::BadUserInput(format!("the XLSX file cannot be read: {e}"))
}

/// A zip entry's reader that counts what it inflates, stops one byte past
/// its cap, and stops at the deadline.
struct Metered<'a, R> {
    inner: R,
    read: &'a Tally<u64>,
    cap: u64,
    deadline: Instant,
}

impl<R: Read> Read for Metered<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if Instant::now() >= self.deadline {
            return Err(io::Error::other("past the deadline"));
        }
        let room = (self.cap + 1).saturating_sub(self.read.get());
        if room == 0 {
            return Err(io::Error::other("over the cap"));
        }
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

/// Inflates every entry through a [`Metered`] reader, counts the shared
/// strings, and finds the active tab; refuses the archive past a limit.
pub(super) fn check_archive(bytes: &[u8], table: &Table) -> ApiResult<Option<usize>> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(unreadable)?;
    if zip.len() > MAX_ZIP_ENTRIES {
        return Err(ApiError::BadUserInput(format!(
            "the XLSX file holds {} parts; a workbook holds at most {MAX_ZIP_ENTRIES}",
            zip.len()
        )));
    }
    let mut total = 0u64;
    let mut active = None;
    for i in 0..zip.len() {
        table.in_time()?;
        let entry = zip.by_index(i).map_err(unreadable)?;
        // As calamine finds parts: any case, either slash.
        let name = entry
            .name()
            .map_err(unreadable)?
            .replace('\\', "/")
            .to_ascii_lowercase();
        let shared = name.ends_with("sharedstrings.xml");
        let cap = if shared {
            MAX_SHARED_STRINGS_BYTES
        } else {
            MAX_PART_BYTES
        };
        let read = Tally::new(0);
        let metered = Metered {
            inner: entry,
            read: &read,
            cap,
            deadline: table.deadline,
        };
        let outcome = if shared {
            inspect(metered, count_shared_strings)
        } else if name == "xl/workbook.xml" {
            inspect(metered, active_tab).map(|tab| active = tab)
        } else {
            drain(metered)
        };
        if read.get() > cap {
            return Err(ApiError::BadUserInput(format!(
                "the XLSX part {name} inflates to more than {cap} bytes"
            )));
        }
        table.in_time()?;
        outcome?;
        total += read.get();
        if total > MAX_INFLATED_BYTES {
            return Err(ApiError::BadUserInput(format!(
                "the XLSX file inflates to more than {MAX_INFLATED_BYTES} bytes"
            )));
        }
    }
    Ok(active)
}

fn drain(mut r: impl Read) -> ApiResult<()> {
    io::copy(&mut r, &mut io::sink()).map(drop).map_err(unreadable)
}

type XmlReader<R> = quick_xml::Reader<BufReader<R>>;

/// Runs `look` over a part's XML, then reads the rest of the part, so
/// that all of it is inflated and measured.
fn inspect<R: Read, T>(part: R, look: fn(&mut XmlReader<R>) -> ApiResult<T>) -> ApiResult<T> {
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(part));
    // As calamine reads: lenient about end tags and comments.
    let config = xml.config_mut();
    config.check_end_names = false;
    config.check_comments = false;
    let found = look(&mut xml)?;
    drain(xml.into_inner())?;
    Ok(found)
}

/// Counts the shared strings, and refuses a `uniqueCount` (which calamine
/// reserves room for) past the limit.
fn count_shared_strings<R: Read>(xml: &mut XmlReader<R>) -> ApiResult<()> {
    let mut buf = Vec::new();
    let mut strings = 0usize;
    let too_many = || {
        ApiError::BadUserInput(format!(
            "the XLSX file has more than {MAX_SHARED_STRINGS} different texts"
        ))
    };
    loop {
        buf.clear();
        let e = match xml.read_event_into(&mut buf).map_err(unreadable)? {
            Event::Start(e) | Event::Empty(e) => e,
            Event::Eof => return Ok(()),
            _ => continue,
        };
        match e.local_name().as_ref() {
            "si" => {
                strings += 1;
                if strings > MAX_SHARED_STRINGS {
                    return Err(too_many());
                }
            }
            "sst" => {
                let declared = e.try_get_attribute("uniqueCount").map_err(unreadable)?;
                if let Some(a) = declared {
                    let n = a.value.parse::<usize>().ok();
                    if n.is_none_or(|n| n > MAX_SHARED_STRINGS) {
                        return Err(too_many());
                    }
                }
            }
            _ => {}
        }
    }
}

/// The workbook's active tab (`<workbookView activeTab>`), an index into
/// its sheets, hidden ones included.
fn active_tab<R: Read>(xml: &mut XmlReader<R>) -> ApiResult<Option<usize>> {
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let e = match xml.read_event_into(&mut buf).map_err(unreadable)? {
            Event::Start(e) | Event::Empty(e) => e,
            Event::Eof => return Ok(None),
            _ => continue,
        };
        match e.local_name().as_ref() {
            "workbookView" => {
                let tab = e.try_get_attribute("activeTab").map_err(unreadable)?;
                return Ok(tab.and_then(|a| a.value.parse().ok()));
            }
            // The views come before the sheets; past them there are none.
            "sheets" => return Ok(None),
            _ => {}
        }
    }
}
