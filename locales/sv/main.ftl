# The pages in Swedish (the default). Every key here is in
# locales/en/main.ftl too; a test fails otherwise.

## Every page

app-name = Nattplats
page-title = { $page } – Nattplats
skip-to-content = Hoppa till innehållet
account-nav = Konto och språk
lang-switch = In English
sign-out = Logga ut
footer-text = Platser och incheckning på härbärgena i Stockholms stads partnerskap med Convictus, Frälsningsarmén, Ny Gemenskap och Stockholms stadsmission.

## Signing in

login-title = Logga in
login-intro = Logga in med ditt användarnamn och lösenord.
login-username = Användarnamn
login-password = Lösenord
login-submit = Logga in
login-refused = Fel användarnamn eller lösenord.
login-limited = För många inloggningsförsök. Försök igen om { $seconds } sekunder.
login-signed-out = Du är utloggad.

## The start page

start-title = Start
signed-in-as = Inloggad som { $name }
roles-heading = Dina roller
shelters-heading = Dina härbärgen
no-shelters = Ditt konto hör inte till något härbärge.
now-is = Nu: { $date } kl. { $time }
start-no-pages = Sidorna för din roll kommer senare. Till dess finns allt i API:t, med dokumentation på /docs/.
role-admin = administratör
role-coordinator = samordnare
role-shelter_staff = personal på härbärge
role-social_emergency = socialjouren
role-outreach = EU-teamet

## Tonight at my shelter

tonight-heading = I natt på { $shelter }
tonight-caption = Sängarna natten som börjar { $date }
tonight-bed = Säng
tonight-category = Kategori
tonight-guest = Gäst
tonight-state = Läge
tonight-refresh = Uppdatera
tonight-none = Härbärget har inga sängar i natt.
tonight-shortcut = Tangenten R uppdaterar listan.
category-regular = vanlig
category-women = kvinnor
category-overflow = extra (kall natt)
state-expected = väntas
state-checked-in = incheckad
state-checked-in-at = incheckad { $time }
state-no-show = uteblev
state-free = ledig
state-out-of-service = ur bruk
kind-emergency = akutplacering
kind-cold_night = kallnattsplacering

## Refusals and errors

offline-title = Tjänsten går inte att nå.
offline-text = Kontrollera nätet och skicka igen. Det du redan skickat görs inte två gånger.

refused-title = Förfrågan avvisad
refused-text = Formuläret kom inte från den här sidan, eller så har det gått ut. Ladda om sidan och försök igen.
back-to-start = Till startsidan
error-title = Något gick fel
error-text = Tjänsten kunde inte svara. Felet är loggat med id { $request }.
unavailable-text = Databasen går inte att nå just nu. Försök igen om en stund.

## Dates

date-long = { $day } { $month } { $year }
month-1 = januari
month-2 = februari
month-3 = mars
month-4 = april
month-5 = maj
month-6 = juni
month-7 = juli
month-8 = augusti
month-9 = september
month-10 = oktober
month-11 = november
month-12 = december

## The slip

slip-page-title = Lapp till gästen
slip-intro = Lappen är på gästens språk: { $language }. Skriv ut den och ge den till gästen.
slip-print = Skriv ut lappen
slip-actions = Lappen
slip-voided = Vistelsen är makulerad och har ingen lapp.
slip-language-ro = rumänska
slip-language-bg = bulgariska
slip-language-pl = polska
slip-language-hu = ungerska
slip-language-en = engelska
slip-language-sv = svenska
