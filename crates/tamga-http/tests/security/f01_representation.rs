//! Finding 1 (critical): lodging in another trader's name, paid from that trader's account.
