# Declaration drafts (the trader's and broker's area, /trader/drafts).

drafts-title = Drafts
drafts-lead = Declarations saved unfinished from the lodging form, as they were typed (they are not checked). Every user of your organisation sees them.
drafts-none = No drafts.
drafts-caption = Drafts, last saved first
drafts-shown = ({ $range } of { $total })
drafts-col-name = Name (LRN)
drafts-col-by = Saved first by
drafts-col-created = Created
drafts-col-saved = Last saved
drafts-pages = Pages of drafts
drafts-prev = Previous page
drafts-next = Next page
drafts-untitled = untitled
drafts-save = Save as draft
drafts-delete = Delete draft
drafts-form-title = Lodge a declaration from a draft
drafts-note = Draft “{ $name }”, last saved { $saved }
drafts-by = created by { $user }
