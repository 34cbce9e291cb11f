# The admin's pages (users, shelters and places, rule sets). Every key here
# is in the other language's admin.ftl too; a test fails otherwise.

admin-nav = The admin's pages
admin-start-heading = Administration
admin-start-users = Users
admin-start-shelters = Shelters and places
admin-start-rules = Rule sets
admin-denied-title = For the admin only
admin-denied-text = Only an administrator may see and change users, shelters and rule sets. Ask an administrator if something needs changing.
admin-yes = yes
admin-no = no
admin-save = Save
admin-nights = { $n ->
    [one] { $n } night
   *[other] { $n } nights
}
admin-degrees = { $c } °C

admin-done-user-created = The user was created. They can sign in now.
admin-done-user-changed = The user was changed. It holds from their next step on.
admin-done-shelter-changed = The shelter's address and phone were saved.
admin-done-place-added = The place was added.
admin-done-out-of-service = The place is out of service for those nights.
admin-done-rule-set-created = The rule set was added. It is used for stays that begin on or after its night; stays already given keep their rules.

admin-refused-username-taken = This username is taken already. Choose another.
admin-refused-own-account = You cannot deactivate your own account or take away your own admin role. Another admin can.
admin-refused-place-label-taken = This shelter has a place with this label already. Choose another label.
admin-refused-place-held = A guest holds this place on one of these nights. Move the guest first, or choose other nights.
admin-refused-not-found = This no longer exists. Reload the page.
admin-refused-other = This could not be done as asked. Reload the page and try again.

admin-problem-username = Username: 3 to 64 characters of a–z, 0–9, full stop, underscore or hyphen.
admin-problem-password = Password: 10 to 256 characters.
admin-problem-roles = Roles: choose at least one.
admin-problem-shelter_ids = Shelters: shelter staff must work at one shelter at least.
admin-problem-address = Address: up to 200 characters of text.
admin-problem-phone = Phone: 3 to 30 characters of digits, spaces, hyphens and brackets, with a + first if you like.
admin-problem-label = Label: 1 to 20 characters.
admin-problem-category = Kind of place: choose one of the list.
admin-problem-night = Nights: give a date for the first and the last night, the last not before the first.
admin-problem-reason = Reason: say why, in 1 to 500 characters.
admin-problem-effective_from = The first night must be { $date } or later: stays may already have been given until the night before, and a rule set follows the newest one.
admin-problem-no_show_cutoff = Give a time of day as hours and minutes, like 23:00.
admin-problem-nights-one = Give a whole number of nights from 1 to 366.
admin-problem-nights-zero = Give a whole number of nights from 0 to 366.
admin-problem-threshold = Give a temperature from −60 to 30 °C, like −7.
admin-problem-countries = Give two-letter country codes (ISO 3166-1), each once, separated by commas, like RO, BG.
admin-problem-other = Something in this form is not as it must be.

admin-users-title = Users
admin-users-list = Everyone with an account
admin-users-you = (you)
admin-users-roles = Roles
admin-users-shelters = Shelters
admin-users-no-shelters = none
admin-users-state = Account
admin-users-active = active
admin-users-inactive = deactivated: cannot sign in
admin-users-idp = Signs in through the city's identity provider
admin-users-idp-mark = Signs in through the city's identity provider (the username is their user name there)
admin-users-deactivate = Deactivate { $name }
admin-users-reactivate = Reactivate { $name }
admin-users-change = Change the roles and shelters of { $name }
admin-users-new = A new user
admin-users-username = Username
admin-users-username-hint = 3 to 64 characters: a–z, 0–9, full stop, underscore, hyphen.
admin-users-password = Password
admin-users-password-hint = At least 10 characters. Give it to the person in a safe way.
admin-users-shelters-hint = Shelter staff work at the shelters checked here.
admin-users-create = Create the user

admin-shelters-title = Shelters and places
admin-shelters-address = Address
admin-shelters-phone = Phone
admin-shelters-phone-hint = As a desk would dial it, like 08-123 456 78. Leave empty when there is none.
admin-shelters-save = Save the address and phone of { $name }
admin-shelters-places = Places
admin-shelters-no-places = No places yet.
admin-shelters-place = { $label } ({ $category })
admin-shelters-oos-intro = Take { $label } out of service for a range of nights, for example for a repair.
admin-shelters-first-night = First night
admin-shelters-last-night = Last night
admin-shelters-reason = Reason
admin-shelters-oos = Take { $label } out of service
admin-shelters-add-place = Add a place
admin-shelters-label = Label
admin-shelters-category = Kind of place
admin-shelters-add-to = Add the place to { $name }

admin-rules-title = Rule sets
admin-rules-intro = A rule set holds the settings of the rules. Each is used for the stays that begin on or after its night; a stay keeps the rules it was given with.
admin-rules-list = The rule sets, newest first
admin-rules-from = From the night of { $date }
admin-rules-in-force = in force tonight
admin-rules-effective_from = The first night it is used for
admin-rules-regular_nights = Nights of a stay on a regular place
admin-rules-women_nights = Nights of a stay on a women's place
admin-rules-quarantine_nights = Karenstid: nights after a stay before a new one
admin-rules-quarantine-hint = 0 means a new stay may begin the night after the last.
admin-rules-no_show_cutoff = Time after which an expected guest has not come (no-show)
admin-rules-no_show_ends_stay_after = No-show nights in a row that end a stay
admin-rules-booking_horizon_nights = Nights ahead a stay may begin
admin-rules-cold_night_threshold_c = Forecast minimum at or below which a night is suggested cold
admin-rules-target_citizenships = Target group by citizenship
admin-rules-target_permit_countries = Target group by residence permit
admin-rules-countries-hint = Two-letter country codes separated by commas, like RO, BG.
admin-rules-new = Add a rule set
admin-rules-first-night = The first night a new rule set may take effect is { $date }.
admin-rules-first-night-horizon = Tonight is { $tonight } and stays may be given { $horizon } night(s) ahead, to { $bookable }; those stays keep the rules they were given with.
admin-rules-first-night-newest = The newest rule set takes effect on { $newest }; a new one comes after it.
admin-rules-new-hint = The form holds the newest rule set's settings; change what should change.
admin-rules-refused = The rule set was not added. See what to change next to the fields.
admin-rules-create = Add the rule set
