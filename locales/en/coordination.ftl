# The coordinator's pages: cold nights and the referrals inbox.

coordination-start-heading = Coordination
coord-start-cold-nights = Extra cold nights
coord-start-referrals = Referrals

coord-denied-title = This page is not for your role
coord-denied-text = This page is for coordinators (cold nights) or for those who work with referrals: socialjouren, the EU team and coordinators. Ask a coordinator if you need something from here.

## Cold nights

coord-cold-title = Extra cold nights
coord-cold-intro = Tonight and the seven nights that can be declared cold now, with the forecast minimum. The service suggests a cold night when the forecast is { $threshold } or colder; only your declaration opens extra places.
coord-no-forecast-source = The service has no weather forecast set up, so it suggests no cold nights. You can still declare a night cold.
coord-tonight = tonight
coord-night-name = { $weekday } { $date }
coord-degrees = { $value } °C
coord-forecast = Forecast minimum
coord-forecast-none = No forecast
coord-suggestion = The service's suggestion
coord-suggested = Suggested as a cold night
coord-not-suggested = No suggestion
coord-state = State
coord-is-declared = Declared a cold night.
coord-declared-reason = Reason: { $reason }
coord-not-declared = Not declared
coord-no-openings = No extra places open.
coord-openings = Extra places open: { $count }
coord-opening = { $shelter }: { $count }
coord-declare-link = Declare { $night } a cold night
coord-change-link = Change or withdraw { $night }
coord-weekday-1 = Monday
coord-weekday-2 = Tuesday
coord-weekday-3 = Wednesday
coord-weekday-4 = Thursday
coord-weekday-5 = Friday
coord-weekday-6 = Saturday
coord-weekday-7 = Sunday

coord-night-title = Cold night { $night }
coord-declare-heading = Declare the night cold
coord-change-heading = More or fewer extra places
coord-reason = Reason
coord-reason-hint = For example "SMHI: −14 °C tonight". Shown to everyone who sees the night.
coord-forecast-field = Forecast minimum temperature, °C (optional)
coord-forecast-hint = A number from −60 to 50, for example −12.5.
coord-places-legend = Extra places per shelter
coord-places-hint = How many extra places each shelter opens this night (0 to 200). Fewer than now closes places; a place a guest has been given cannot be closed.
coord-declare-submit = Declare a cold night
coord-change-submit = Save the change
coord-withdraw-heading = Withdraw
coord-withdraw-text = The night becomes an ordinary night again and every extra place closes. This is only possible while no guest has been given an extra place that night.
coord-withdraw-submit = Withdraw cold night { $night }
coord-back = Back to cold nights

coord-declared = { $night } is declared a cold night. Socialjouren sees it on their board.
coord-changed = The change for { $night } is saved.
coord-withdrawn = { $night } is no longer a cold night; its extra places are closed.

coord-refusal-overflow-place-held = Nothing was changed: a guest has already been given an extra place that this would close. Keep at least as many extra places open at that shelter as guests have been given there. A night on which a guest holds an extra place cannot be withdrawn.
coord-refusal-night-out-of-range = That night cannot be declared now. Choose a night from { $earliest } to { $latest }.
coord-refusal-request-in-progress = The form is already being sent. Wait a moment and reload the page to see its answer.
coord-refusal-not-declared = The night is not declared cold (perhaps someone has withdrawn it already). The list below shows how things stand now.
coord-refusal-reason = Write why the night is cold (at most 500 characters).
coord-refusal-forecast = The forecast minimum must be a number from −60 to 50, or left empty.
coord-refusal-places = The number of extra places must be a whole number from 0 to 200 for each shelter.
coord-refusal-other = This could not be saved. Try again; if it keeps failing, contact whoever runs the service.

## Referrals

coord-referrals-title = Referrals
coord-referrals-intro = Referrals to socialjouren and the EU team, newest first. A referral is taken by whoever works on it and closed when it is done.
coord-filter-label = Show referrals
coord-filter-all = All
coord-filter-open = Open
coord-filter-taken = Taken
coord-filter-closed = Closed
coord-no-referrals = No referrals here.
coord-a-guest = A guest
coord-acute = Acute
coord-status-open = open
coord-status-taken = taken
coord-status-closed = closed
coord-opened = Opened
coord-last-taken = Taken
coord-last-closed = Closed
coord-last-handed-back = Handed back
coord-when = { $date } at { $time }
coord-by = { $when } by { $who }
coord-note = Note
coord-note-field = Note (optional)
coord-note-hint = Replaces the note there is. Write nothing sensitive that is not needed.
coord-move-taken = Take the referral
coord-move-closed = Close
coord-move-open = Hand back
coord-moved = The referral is now { $status }.
coord-refusal-referral-transition = Someone else has already moved this referral. The list below shows where it stands now.
coord-refusal-referral-not-found = There is no such referral.
coord-refusal-note = The note may be at most 2000 characters.
coord-reason-minor = Minor
coord-reason-pregnant = Pregnant
coord-reason-elderly = Elderly
coord-reason-addiction = Severe addiction
coord-reason-mental_illness = Mental illness
coord-reason-disability = Disability
coord-reason-child = Child
coord-reason-other = Other
