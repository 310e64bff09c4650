# The notifications of one declaration on the trader's declaration page.

td-notes = Notifications
td-notes-none = No notification about this declaration has been sent to you.
td-note-due = { $amount } due; quote the payment reference { $reference }
td-note-automatic = released automatically
td-note-registered = Accepted and registered
td-note-rejected = Rejected
td-note-under-control = Selected for control
td-note-duties-assessed = Duties assessed
td-note-awaiting-payment = Waiting for payment
td-note-released = Released
td-note-refused = Release refused
td-note-invalidated = Invalidated
td-note-amended = Amendment accepted
td-note-request-rejected = Request refused
td-note-signing-key-added = Signing key registered
td-note-operator-approved = Registration approved
td-note-signing-key-revoked = Signing key revoked
td-note-appeal-lodged = Appeal lodged
td-note-appeal-decided = Appeal decided
