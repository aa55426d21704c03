//! Memory and CPU time of a set of processes (each with all its descendants), from
//! Linux's `/proc`.

use std::collections::BTreeSet;
use std::path::Path;

/// Summed usage of a set of processes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Processes counted.
    pub processes: usize,
    /// Sum of `VmRSS` (shared pages count once per process).
    pub rss_kib: u64,
    /// Sum of `Pss` from `smaps_rollup` (shared pages divided between processes).
    pub pss_kib: u64,
    /// User plus system time in clock ticks (1/100 s).
    pub cpu_ticks: u64,
}

/// The fields of `/proc/<pid>/stat` after the command name (state, ppid, ...).
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = stat.rsplit_once(") ")?.1;
    Some(after_name.split(' ').map(str::to_owned).collect())
}

/// The pids in `roots` and all their descendants that exist now.
pub fn process_tree(roots: &[u32]) -> BTreeSet<u32> {
    let mut parents = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
                continue;
            };
            let ppid = stat_fields(pid).and_then(|f| f.get(1).and_then(|p| p.parse().ok()));
            if let Some(ppid) = ppid {
                parents.push((pid, ppid));
            }
        }
    }
    let mut tree: BTreeSet<u32> = roots
        .iter()
        .copied()
        .filter(|pid| Path::new(&format!("/proc/{pid}")).exists())
        .collect();
    loop {
        let before = tree.len();
        for &(pid, ppid) in &parents {
            if tree.contains(&ppid) {
                tree.insert(pid);
            }
        }
        if tree.len() == before {
            return tree;
        }
    }
}

/// The value in KiB of a `Name:   123 kB` line.
fn kib(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// The usage of `roots` and their descendants.
pub fn usage(roots: &[u32]) -> Usage {
    let mut total = Usage::default();
    for pid in process_tree(roots) {
        let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
            continue;
        };
        total.processes += 1;
        total.rss_kib += kib(&status, "VmRSS:");
        let rollup =
            std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
        total.pss_kib += kib(&rollup, "Pss:");
        if let Some(fields) = stat_fields(pid) {
            // utime and stime are fields 14 and 15 of stat: 12 and 13 after the name.
            let tick = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok());
            total.cpu_ticks += tick(11).unwrap_or(0) + tick(12).unwrap_or(0);
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_measured() {
        let me = std::process::id();
        let u = usage(&[me]);
        assert!(u.processes >= 1);
        assert!(u.rss_kib > 0);
        assert!(process_tree(&[me]).contains(&me));
        assert_eq!(usage(&[u32::MAX]), Usage::default());
    }

    #[test]
    fn kib_lines_are_read() {
        assert_eq!(kib("Name: x\nVmRSS:\t  1234 kB\n", "VmRSS:"), 1234);
        assert_eq!(kib("VmRSS: junk\n", "VmRSS:"), 0);
    }
}
