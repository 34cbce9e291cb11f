# The pages in English. Every key here is in locales/sv/main.ftl too; a
# test fails otherwise.

## Every page

app-name = Nattplats
page-title = { $page } – Nattplats
skip-to-content = Skip to the content
account-nav = Account and language
lang-switch = På svenska
sign-out = Sign out
footer-text = Beds and check-in at the night shelters of the City of Stockholm's partnership with Convictus, Frälsningsarmén, Ny Gemenskap and Stockholms stadsmission.

## Signing in

login-title = Sign in
login-intro = Sign in with your username and password.
login-username = Username
login-password = Password
login-submit = Sign in
login-refused = Wrong username or password.
login-limited = Too many sign-in attempts. Try again in { $seconds } seconds.
login-signed-out = You are signed out.

## The start page

start-title = Start
signed-in-as = Signed in as { $name }
roles-heading = Your roles
shelters-heading = Your shelters
no-shelters = Your account belongs to no shelter.
now-is = Now: { $date }, { $time }
start-no-pages = The pages for your role come later. Until then everything is in the API, documented at /docs/.
role-admin = administrator
role-coordinator = coordinator
role-shelter_staff = shelter staff
role-social_emergency = social emergency service (socialjouren)
role-outreach = EU team

## Tonight at my shelter

tonight-heading = Tonight at { $shelter }
tonight-caption = The beds on the night that begins on { $date }
tonight-bed = Bed
tonight-category = Category
tonight-guest = Guest
tonight-state = State
tonight-refresh = Refresh
tonight-none = The shelter has no beds tonight.
tonight-shortcut = The R key refreshes the list.
category-regular = regular
category-women = women
category-overflow = overflow (cold night)
state-expected = expected
state-checked-in = checked in
state-checked-in-at = checked in at { $time }
state-no-show = no-show
state-free = free
state-out-of-service = out of service
kind-emergency = emergency placement
kind-cold_night = cold-night placement

## Refusals and errors

offline-title = The service cannot be reached.
offline-text = Check the connection and send again. What you already sent is not done twice.

refused-title = Request refused
refused-text = The form did not come from this site, or it has expired. Reload the page and try again.
back-to-start = To the start page
error-title = Something went wrong
error-text = The service could not answer. The error is logged with id { $request }.
unavailable-text = The database cannot be reached right now. Try again in a moment.

## Dates

date-long = { $day } { $month } { $year }
month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December

## The slip

slip-page-title = Slip for the guest
slip-intro = The slip is in the guest's language: { $language }. Print it and give it to the guest.
slip-print = Print the slip
slip-actions = The slip
slip-voided = The stay was voided and has no slip.
slip-language-ro = Romanian
slip-language-bg = Bulgarian
slip-language-pl = Polish
slip-language-hu = Hungarian
slip-language-en = English
slip-language-sv = Swedish
