//! GATHER: talks to SCATTERs; a PULL for single-part messages only (receives fair-queued
//! from its peers, never sends: ENOTSUP). Multipart messages from a peer are dropped.

use super::pull::Pull;
use super::single_part::SinglePart;

pub type Gather = SinglePart<Pull>;
