# Tonight's list and its acts (check-in, end, move). Every key here is in
# the other language's desk.ftl too; a test fails otherwise.

## Acting from tonight's list

desk-acts = Acts
desk-checkin = Check in
desk-checkin-row = Check in { $guest } at bed { $bed }
desk-checkin-bed-label = Check in by bed
desk-checkin-bed-submit = Check in
desk-checkin-bed-hint = Type the bed's label, for example R02, and press Enter: its guest is checked in. The I key jumps to this field; R refreshes the list.
desk-no-show-hint = Not here by 23:00: the bed may be given to someone else.
desk-more = Move or end, bed { $bed }
desk-no-free-bed = No bed is free here tonight to move to.
desk-free-bed = { $bed } ({ $category })
desk-move-label = Move { $guest } to bed
desk-move-submit = Move
desk-end-reason = Why the stay of { $guest } ends
desk-end-submit = End the stay…
desk-end-confirm = End the stay of { $guest } at bed { $bed }?
desk-end-confirm-reason = Reason: { $reason }. Tonight's bed is released unless the guest has checked in; the karenstid after the stay remains.
desk-end-yes = Yes, end the stay
desk-end-cancel = Cancel

desk-late-heading = Late guests whose bed was given away
desk-late-hint = They did not check in by 23:00 and their bed now has someone else. Move the stay to a free bed, then check the guest in on the new bed's row.
desk-late-guest = { $guest } (had bed { $bed })

## What an act came to

desk-checked-in = { $guest } is checked in at bed { $bed } ({ $time }).
desk-moved = { $guest } now has bed { $bed } tonight. Check the guest in when they are at the desk.
desk-ended = The stay is ended. Its bed is free from tonight, unless the guest had checked in.
desk-no-guest-at-bed = No guest with a stay holds bed { $bed } tonight. Check the label in the list below, or use the guest's own button.
desk-not-your-shelter = This is a shelter your account does not work at. Only its staff can act on its list.
desk-refused-released = The guest did not check in by 23:00 and the bed has been given to someone else. Move the stay to a free bed (under "Late guests" below the list), then check the guest in.
desk-refused-no-free-place = That bed is no longer free tonight. Choose another free bed; the list has been updated.
desk-refused-category = That bed's category does not fit this guest: women's beds are for women, overflow beds for cold nights only. Choose a bed of another category.
desk-refused-banned = The guest is banned from this shelter through the night of { $date }. Ask socialjouren or another shelter for a bed.
desk-refused-night = The stay has no night tonight, so there is nothing to check in. Check the stay's dates with a coordinator.
desk-refused-not-active = The stay has already ended or was voided. The list has been updated.
desk-refused-in-progress = What you sent a moment ago is still being done. Wait a moment and send again; it will not be done twice.
desk-refused-busy = Other desks were taking beds at the same moment. Send again.
desk-refused-reason = Write why the stay ends (at most 500 characters), then send again.
desk-refused-key-reused = This form was already used for something else. The list has been updated: send from it again.
desk-refused-not-found = That stay or bed is not at this shelter tonight. The list has been updated.
desk-refused-other = The rules do not allow this. Ask a coordinator.
desk-failed = The service could not do this. Try again in a moment; the error is logged.
