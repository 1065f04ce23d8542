//! CLIENT: talks to SERVERs; a DEALER for single-part messages only (load-balanced
//! sends, fair-queued receives). The SERVER tells its clients apart by routing ids it
//! makes up itself, so a CLIENT announces none.

use super::dealer::Dealer;
use super::single_part::SinglePart;

pub type Client = SinglePart<Dealer>;
