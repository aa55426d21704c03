//! THREAD=REFERENCES, RFC 5256 section 3 steps 1 to 6.
//!
//! Nodes live in one arena (`Tree`); dummies are nodes without a message. Links are
//! only made when they cannot close a loop, so every walk up the tree ends.

use std::collections::HashMap;

use super::subject::extract;
use super::text::collation_key;
use super::thread::{Forest, Info};

struct Tree<'i> {
    infos: &'i [Info],
    message: Vec<Option<usize>>,
    parent: Vec<Option<usize>>,
    children: Vec<Vec<usize>>,
}

impl<'i> Tree<'i> {
    fn new(infos: &'i [Info]) -> Self {
        let mut tree = Self {
            infos,
            message: Vec::new(),
            parent: Vec::new(),
            children: Vec::new(),
        };
        for i in 0..infos.len() {
            tree.add(Some(i));
        }
        tree
    }

    fn add(&mut self, message: Option<usize>) -> usize {
        self.message.push(message);
        self.parent.push(None);
        self.children.push(Vec::new());
        self.message.len() - 1
    }

    fn is_dummy(&self, node: usize) -> bool {
        self.message[node].is_none()
    }

    fn link(&mut self, parent: usize, child: usize) {
        self.parent[child] = Some(parent);
        self.children[parent].push(child);
    }

    fn unlink(&mut self, child: usize) {
        if let Some(parent) = self.parent[child].take() {
            self.children[parent].retain(|&c| c != child);
        }
    }

    /// Whether making `parent` the parent of `child` would close a loop: `parent` is
    /// `child` or below it. Walks up from `parent` and down from `child` in turns, so
    /// the cost is the smaller of `parent`'s depth and `child`'s subtree.
    fn would_loop(&self, parent: usize, child: usize) -> bool {
        let mut up = Some(parent);
        let mut down = vec![child];
        loop {
            match up {
                Some(node) if node == child => return true,
                Some(node) => up = self.parent[node],
                None => return false,
            }
            match down.pop() {
                Some(node) if node == parent => return true,
                Some(node) => down.extend_from_slice(&self.children[node]),
                None => return false,
            }
        }
    }

    /// The sort key of a node: its message's (sent date, sequence number), or a
    /// dummy's first child's.
    fn order(&self, node: usize) -> (i64, u32) {
        let mut node = node;
        loop {
            if let Some(m) = self.message[node] {
                return self.infos[m].order();
            }
            match self.children[node].first() {
                Some(&first) => node = first,
                None => return (i64::MAX, u32::MAX),
            }
        }
    }

    fn sort_children(&mut self, node: usize) {
        let mut children = std::mem::take(&mut self.children[node]);
        children.sort_by_key(|&c| self.order(c));
        self.children[node] = children;
    }

    /// The message whose subject stands for a node (a dummy: its first child's).
    fn subject_message(&self, node: usize) -> Option<usize> {
        self.message[node].or_else(|| self.children[node].first().and_then(|&c| self.message[c]))
    }
}

/// Builds the REFERENCES threads of `infos` (in sequence order).
pub(crate) fn references(infos: &[Info]) -> Forest {
    let mut tree = Tree::new(infos);
    link_references(&mut tree);
    let mut roots: Vec<usize> = (0..tree.message.len())
        .filter(|&n| tree.parent[n].is_none())
        .collect();
    roots = prune(&mut tree, roots);
    for &root in &roots {
        if tree.is_dummy(root) {
            tree.sort_children(root);
        }
    }
    roots.sort_by_key(|&r| tree.order(r));
    let roots = merge_subjects(&mut tree, roots);
    sort_all(&mut tree, roots)
}

/// Step 1: the parent/child links of `References:` (or `In-Reply-To:`).
fn link_references(tree: &mut Tree<'_>) {
    let infos = tree.infos;
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    // Message-IDs belong to the first message that carries them; later duplicates and
    // messages without one are unique nodes that no reference can reach.
    for (node, info) in infos.iter().enumerate() {
        if let Some(id) = &info.message_id {
            by_id.entry(id.as_str()).or_insert(node);
        }
    }
    for (node, info) in infos.iter().enumerate() {
        let refs: Vec<usize> = info
            .references
            .iter()
            .map(|id| *by_id.entry(id.as_str()).or_insert_with(|| tree.add(None)))
            .collect();
        // (A) each reference is the parent of the next, unless it already has one.
        for pair in refs.windows(2) {
            let (parent, child) = (pair[0], pair[1]);
            if tree.parent[child].is_none() && !tree.would_loop(parent, child) {
                tree.link(parent, child);
            }
        }
        // (B) the last reference is the message's parent, replacing any other.
        tree.unlink(node);
        if let Some(&parent) = refs.last()
            && !tree.would_loop(parent, node)
        {
            tree.link(parent, node);
        }
    }
}

/// Step 3: dummies without children go; dummies with children give way to them,
/// except at the top where a dummy with several children stays.
fn prune(tree: &mut Tree<'_>, roots: Vec<usize>) -> Vec<usize> {
    // Children before parents: the reverse of a depth-first preorder.
    let mut order = Vec::with_capacity(tree.message.len());
    let mut stack = roots.clone();
    while let Some(node) = stack.pop() {
        order.push(node);
        stack.extend_from_slice(&tree.children[node]);
    }
    for &node in order.iter().rev() {
        let children = std::mem::take(&mut tree.children[node]);
        let kept = splice_dummies(tree, children, false);
        for &c in &kept {
            tree.parent[c] = Some(node);
        }
        tree.children[node] = kept;
    }
    let roots = splice_dummies(tree, roots, true);
    for &r in &roots {
        tree.parent[r] = None;
    }
    roots
}

/// One level of step 3 (the nodes below each node are already pruned).
fn splice_dummies(tree: &Tree<'_>, nodes: Vec<usize>, top: bool) -> Vec<usize> {
    let mut kept = Vec::with_capacity(nodes.len());
    for node in nodes {
        let children = &tree.children[node];
        if !tree.is_dummy(node) || (top && children.len() > 1) {
            kept.push(node);
        } else {
            kept.extend_from_slice(children);
        }
    }
    kept
}

/// Step 5: top-level threads with the same base subject are gathered.
fn merge_subjects(tree: &mut Tree<'_>, roots: Vec<usize>) -> Vec<usize> {
    let infos = tree.infos;
    let subject_of = |tree: &Tree<'_>, node: usize| -> Option<(String, bool)> {
        let m = tree.subject_message(node)?;
        let base = extract(infos[m].subject.as_deref()?);
        (!base.text.is_empty()).then(|| (collation_key(&base.text), base.reply_or_forward))
    };
    let reply = |tree: &Tree<'_>, node: usize| {
        !tree.is_dummy(node) && subject_of(tree, node).is_some_and(|(_, r)| r)
    };
    // (B) the subject table.
    let mut table: HashMap<String, usize> = HashMap::new();
    for &root in &roots {
        let Some((subject, _)) = subject_of(tree, root) else {
            continue;
        };
        match table.get(&subject) {
            None => {
                table.insert(subject, root);
            }
            Some(&held) => {
                let replace = !tree.is_dummy(held)
                    && (tree.is_dummy(root) || (reply(tree, held) && !reply(tree, root)));
                if replace {
                    table.insert(subject, root);
                }
            }
        }
    }
    // (C) merging; `slots` keeps the top level in order while nodes move.
    let mut slots: Vec<Option<usize>> = roots.iter().copied().map(Some).collect();
    let mut slot_of: HashMap<usize, usize> =
        roots.iter().enumerate().map(|(i, &r)| (r, i)).collect();
    for i in 0..slots.len() {
        let Some(current) = slots[i] else {
            continue;
        };
        let Some((subject, _)) = subject_of(tree, current) else {
            continue;
        };
        let Some(&held) = table.get(&subject) else {
            continue;
        };
        if held == current {
            continue;
        }
        if tree.is_dummy(held) && tree.is_dummy(current) {
            let moved = std::mem::take(&mut tree.children[current]);
            for child in moved {
                tree.link(held, child);
            }
            slots[i] = None;
        } else if tree.is_dummy(held) || (reply(tree, current) && !reply(tree, held)) {
            tree.link(held, current);
            slots[i] = None;
        } else {
            let dummy = tree.add(None);
            let held_slot = slot_of.remove(&held);
            tree.link(dummy, held);
            tree.link(dummy, current);
            slots[i] = None;
            if let Some(s) = held_slot {
                slots[s] = Some(dummy);
                slot_of.insert(dummy, s);
            }
            table.insert(subject, dummy);
        }
    }
    slots.into_iter().flatten().collect()
}

/// Step 6: every set of siblings in sent-date order, children before parents (a
/// dummy sorts by its first child), then the top level.
fn sort_all(tree: &mut Tree<'_>, roots: Vec<usize>) -> Forest {
    let mut order = Vec::with_capacity(tree.message.len());
    let mut stack = roots.clone();
    while let Some(node) = stack.pop() {
        order.push(node);
        stack.extend_from_slice(&tree.children[node]);
    }
    for &node in order.iter().rev() {
        tree.sort_children(node);
    }
    let mut roots = roots;
    roots.sort_by_key(|&r| tree.order(r));
    Forest {
        message: std::mem::take(&mut tree.message),
        children: std::mem::take(&mut tree.children),
        roots,
    }
}
