//! One walk over a function's nested blocks, for every pass that follows the IR's control
//! structure (the dump, the linker's copy, the rules' flow facts): each says what it does at a
//! node and around each nested block, and the walk says where the blocks are.

use super::{Block, Node};

/// Where a nested block sits in its node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Then,
    Otherwise,
    LoopBody,
    TryBody,
    Catch,
    Finally,
    ScopeBody,
}

impl Node {
    /// The blocks nested in the node, in the order they are written.
    pub fn blocks(&self) -> impl Iterator<Item = (Part, &Block)> {
        let parts = match self {
            Node::Guard {
                then, otherwise, ..
            } => [
                Some((Part::Then, then)),
                Some((Part::Otherwise, otherwise)),
                None,
            ],
            Node::Loop(body) => [Some((Part::LoopBody, body)), None, None],
            Node::Try {
                body,
                catch,
                finally,
                ..
            } => [
                Some((Part::TryBody, body)),
                Some((Part::Catch, catch)),
                Some((Part::Finally, finally)),
            ],
            Node::Scope { body, .. } => [Some((Part::ScopeBody, body)), None, None],
            Node::Effect(_) | Node::Exit(_) | Node::Fail(_) => [None, None, None],
        };
        parts.into_iter().flatten()
    }

    /// The node's block at `part`, to fill in a copy; None when the node has no such part.
    pub fn block_mut(&mut self, part: Part) -> Option<&mut Block> {
        match (self, part) {
            (Node::Guard { then, .. }, Part::Then)
            | (
                Node::Guard {
                    otherwise: then, ..
                },
                Part::Otherwise,
            )
            | (Node::Loop(then), Part::LoopBody)
            | (Node::Try { body: then, .. }, Part::TryBody)
            | (Node::Try { catch: then, .. }, Part::Catch)
            | (Node::Try { finally: then, .. }, Part::Finally)
            | (Node::Scope { body: then, .. }, Part::ScopeBody) => Some(then),
            _ => None,
        }
    }
}

/// A pass over nested blocks. [`walk`] calls `enter` on each node of a block in order, then
/// `block` on each of the node's nested blocks, then `leave`; what a pass keeps about one node
/// while its blocks are walked (a guard's number, the copy being built) is its `Frame`.
pub trait Visitor<'a> {
    type Frame;

    /// A node, before its nested blocks.
    fn enter(&mut self, node: &'a Node) -> Self::Frame;

    /// One nested block of the node being walked; by default, walked in turn.
    fn block(&mut self, _frame: &mut Self::Frame, _part: Part, block: &'a Block) {
        walk(self, block);
    }

    /// The node, after its nested blocks.
    fn leave(&mut self, _frame: Self::Frame, _node: &'a Node) {}
}

/// Walks `block` and every block nested in it, in the order they are written.
pub fn walk<'a, V: Visitor<'a> + ?Sized>(visitor: &mut V, block: &'a Block) {
    for node in block {
        let mut frame = visitor.enter(node);
        for (part, nested) in node.blocks() {
            visitor.block(&mut frame, part, nested);
        }
        visitor.leave(frame, node);
    }
}
