//! SCATTER: talks to GATHERs; a PUSH for single-part messages only (sends load-balanced
//! over its peers, never receives: ENOTSUP).

use super::push::Push;
use super::single_part::SinglePart;

pub type Scatter = SinglePart<Push>;
