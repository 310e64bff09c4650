//! Finding 4 (high): one unauthenticated slow client stopped the service.
