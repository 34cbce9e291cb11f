# Finding, registering and granting (intake). Every key here is in the
# other language's intake.ftl too; a test fails otherwise.

## The start page's way to intake

start-intake-heading = Intake
start-intake-link = Find a guest and give a stay
start-register-link = Register a new guest

## Search

intake-title = Intake
intake-register-link = Register a new guest
intake-search-label = Find a guest
intake-search-hint = Name, card number or year of birth. Matches show as you type.
intake-search-submit = Search
intake-search-none = No guest found. Check the spelling, or register the guest.
intake-search-count = Matches: { $count }
intake-search-too-long = A search may be at most 100 characters.
intake-found-meta = born { $year }, card { $card }
intake-back-to-search = To the search

## Registering

intake-new-title = Register a new guest
intake-new-wrong = Some details are missing or wrong. See the marked fields.
intake-checks-heading = Check before saving
intake-duplicates-intro = These guests are already registered and may be the same person. Open the guest if it is them, instead of registering again.
intake-duplicates-none = No similar guest is registered.
intake-save-anyway-hint = If this is a new person, save anyway.
intake-save-anyway = Save anyway
intake-check-and-save = Check and save
intake-warn-target-group = The guest is outside the target group (a citizen of an EU country other than Sweden, or holding a residence permit in one). A stay will be refused. Refer the person to the social services.
intake-warn-minor = The guest is under 18. A child is not given a bed at a shelter: when the stay is refused an acute referral to socialjouren (the social emergency service) opens at once. Call socialjouren.
intake-warn-needs = The acute needs ticked open a referral to the EU team and socialjouren when the guest is saved.
guest-given-name = Given name
guest-family-name = Family name
guest-birth = Birth
guest-birth-hint = Give the date of birth, or only the year when the date is not known.
guest-birth-date = Date of birth
guest-birth-year = Year of birth
guest-gender = Gender
gender-woman = woman
gender-man = man
gender-other = other
gender-unknown = unknown
guest-citizenship = Citizenship
guest-country-hint = Two-letter country code, for example RO for Romania or BG for Bulgaria.
guest-permit = Residence permit in country
guest-permit-hint = Two-letter country code; leave empty when the guest has none.
guest-needs = Acute needs
guest-needs-hint = Each need opens a referral.
need-pregnant = pregnant
need-elderly = elderly
need-addiction = severe addiction
need-mental_illness = mental illness
need-disability = disability
need-child = with a child
guest-language = Language of the slip
language-ro = Romanian (română)
language-bg = Bulgarian (български)
language-pl = Polish (polski)
language-hu = Hungarian (magyar)
language-en = English
language-sv = Swedish (svenska)

## The guest's page

guest-card = Card number
guest-eligibility-heading = A stay on the night that begins on { $date }
guest-eligible = The guest can be given a stay tonight.
guest-current-heading = The guest's stay
guest-stay-elsewhere = The guest already has a stay at another shelter tonight.
guest-take-heading = Give a stay
guest-shelter = Shelter
guest-shelter-show = Show free beds
guest-take-at = A stay at { $shelter }, from tonight.
guest-bed = Bed
guest-bed-suggested = Suggested bed: { $bed }
guest-no-free-bed = No bed here is free on every night a stay needs.
guest-take-submit = Give a stay

## A stay

stay-granted-heading = The stay is given
stay-refused-heading = No stay was given
stay-shelter = Shelter
stay-bed = Bed
stay-nights = Nights
stay-nights-range = { $first } to { $last }
stay-nights-count = ({ $count } nights)
stay-karenstid = Karenstid (waiting nights)
stay-karenstid-range = { $first } to { $last }
stay-again = A new stay possible from
stay-slip = Print the guest's slip

## Refusals: the reason, then what to do next (one pair per code)

refusal-outside-target-group = The guest is outside the target group: a citizen of an EU country other than Sweden, or holding a residence permit in one.
refusal-outside-target-group-next = Refer the person to the social services.
refusal-minor = The guest is under 18.
refusal-minor-next = An acute referral to socialjouren has been opened. Call socialjouren; never place a child at the shelter.
refusal-in-quarantine = The guest is in karenstid after a stay and can be given a new stay from the night that begins on { $date }.
refusal-in-quarantine-next = On a cold night, or in acute need through socialjouren, a single-night placement is still possible.
refusal-already-has-stay = The guest already has a stay tonight.
refusal-already-has-stay-next = Check the guest in at that place, or move the stay.
refusal-already-placed = The guest already has a bed tonight.
refusal-already-placed-next = Look up where the guest has a bed this evening.
refusal-banned = The guest is banned from here until the night that begins on { $last }, inclusive.
refusal-banned-next = A new stay is possible from the night that begins on { $date }. Call the coordinators if something must be done tonight.
refusal-no-free-place = No bed that fits is free here on every night the stay needs.
refusal-no-free-place-next = Free beds tonight at other shelters:
refusal-category-not-allowed = This kind of bed is not allowed for the guest: women's places are for women, and overflow places only for cold nights.
refusal-category-not-allowed-next = Choose another bed, or let the service choose.
refusal-night-out-of-range = The night must be from { $earliest } to { $latest }.
refusal-night-out-of-range-next = Give the stay from tonight.
refusal-reservation-released = The guest's bed tonight was released after 23:00 and has been taken.
refusal-reservation-released-next = Beds still free tonight:
refusal-not-a-cold-night = The night has not been declared a cold night.
refusal-not-a-cold-night-next = Call the coordinators.
refusal-other = The service said no.
refusal-other-next = Call the coordinators.
intake-alternative = { $shelter }: { $regular } regular, { $women } women's places free
intake-free-bed = { $shelter }: bed { $bed }
intake-problem-input = The form lacked something. Reload the guest's page and try again.
intake-problem-shelter = You cannot give stays at that shelter.

## A role that may not

intake-denied-title = Not for your role
intake-denied-guests = Finding, reading and registering guests is for shelter staff, coordinators and socialjouren.
intake-denied-stays = Giving stays is for shelter staff and coordinators. Socialjouren can make a single-night emergency placement.
