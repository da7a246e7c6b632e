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
            Node::Effect(_) | Node::Exit(_) | Node::Fail(_) | Node::Macro { .. } => {
                [None, None, None]
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Guard, ScopeKind, Span};

    fn effect(id: usize) -> Block {
        vec![Node::Effect(id)]
    }

    /// One node of each kind with blocks, each block holding a distinct effect.
    fn nodes() -> Vec<Node> {
        vec![
            Node::Guard {
                guard: Guard::new(Span::default(), Vec::new()),
                then: effect(0),
                otherwise: effect(1),
            },
            Node::Loop(effect(2)),
            Node::Try {
                body: effect(3),
                catch: effect(4),
                finally: effect(5),
                catches_unique_violation: false,
            },
            Node::Scope {
                kind: ScopeKind::Txn(0),
                body: effect(6),
            },
            Node::Exit(Span::default()),
        ]
    }

    /// Records the order of events.
    struct Trace(Vec<String>);

    impl<'a> Visitor<'a> for Trace {
        type Frame = ();

        fn enter(&mut self, node: &'a Node) {
            if let Node::Effect(id) = node {
                self.0.push(format!("e{id}"));
            }
        }

        fn block(&mut self, _: &mut (), part: Part, block: &'a Block) {
            self.0.push(format!("{part:?}"));
            walk(self, block);
        }
    }

    #[test]
    fn walk_visits_nested_blocks_in_written_order() {
        let mut trace = Trace(Vec::new());
        walk(&mut trace, &nodes());
        let expected =
            "Then e0 Otherwise e1 LoopBody e2 TryBody e3 Catch e4 Finally e5 ScopeBody e6";
        assert_eq!(trace.0.join(" "), expected);
    }

    #[test]
    fn each_part_a_node_lists_can_be_filled_in() {
        for mut node in nodes() {
            let listed: Vec<(Part, String)> =
                node.blocks().map(|(p, b)| (p, format!("{b:?}"))).collect();
            for (part, block) in listed {
                let filled = node.block_mut(part).map(|b| format!("{b:?}"));
                assert_eq!(filled, Some(block), "{part:?}");
            }
        }
        assert!(Node::Loop(Block::new()).block_mut(Part::Then).is_none());
    }
}
