//! CHANNEL: exactly one CHANNEL peer, like PAIR, for single-part messages only.

use super::pair::Pair;
use super::single_part::SinglePart;

pub type Channel = SinglePart<Pair>;
