# Finding, registering and granting (intake). Every key here is in the
# other language's intake.ftl too; a test fails otherwise.

## The start page's way to intake

start-intake-heading = Intag
start-intake-link = Sök gäst och ge plats
start-register-link = Registrera ny gäst

## Search

intake-title = Intag
intake-register-link = Registrera ny gäst
intake-search-label = Sök gäst
intake-search-hint = Namn, kortnummer eller födelseår. Träffarna visas medan du skriver.
intake-search-submit = Sök
intake-search-none = Ingen gäst hittades. Kontrollera stavningen eller registrera gästen.
intake-search-count = Träffar: { $count }
intake-search-too-long = Sökningen får vara högst 100 tecken.
intake-found-meta = född { $year }, kort { $card }
intake-back-to-search = Till sökningen

## Registering

intake-new-title = Registrera ny gäst
intake-new-wrong = Några uppgifter saknas eller är fel. Se de markerade fälten.
intake-checks-heading = Kontrollera innan du sparar
intake-duplicates-intro = De här gästerna finns redan och kan vara samma person. Öppna gästen om det är hen, i stället för att registrera igen.
intake-duplicates-none = Ingen liknande gäst finns registrerad.
intake-save-anyway-hint = Är det en ny person, spara ändå.
intake-save-anyway = Spara ändå
intake-check-and-save = Kontrollera och spara
intake-warn-target-group = Gästen hör inte till målgruppen (medborgare i ett annat EU-land än Sverige, eller med uppehållstillstånd i ett). En plats kommer att nekas. Hänvisa personen till socialtjänsten.
intake-warn-minor = Gästen är under 18 år. Ett barn får ingen plats på härbärget: när platsen nekas öppnas genast en akut hänvisning till socialjouren. Ring socialjouren.
intake-warn-needs = De akuta behov du kryssat i öppnar en hänvisning till EU-teamet och socialjouren när gästen sparas.
guest-given-name = Förnamn
guest-family-name = Efternamn
guest-birth = Födelse
guest-birth-hint = Ange födelsedatum, eller bara året om datumet inte är känt.
guest-birth-date = Födelsedatum
guest-birth-year = Födelseår
guest-gender = Kön
gender-woman = kvinna
gender-man = man
gender-other = annat
gender-unknown = okänt
guest-citizenship = Medborgarskap
guest-country-hint = Landskod med två bokstäver, till exempel RO för Rumänien eller BG för Bulgarien.
guest-permit = Uppehållstillstånd i land
guest-permit-hint = Landskod med två bokstäver; lämna tomt om gästen inte har något.
guest-needs = Akuta behov
guest-needs-hint = Varje behov öppnar en hänvisning.
need-pregnant = gravid
need-elderly = äldre
need-addiction = svårt missbruk
need-mental_illness = psykisk ohälsa
need-disability = funktionsnedsättning
need-child = barn med
guest-language = Språk på lappen
language-ro = rumänska (română)
language-bg = bulgariska (български)
language-pl = polska (polski)
language-hu = ungerska (magyar)
language-en = engelska (English)
language-sv = svenska

## The guest's page

guest-card = Kortnummer
guest-eligibility-heading = Plats natten som börjar { $date }
guest-eligible = Gästen kan få en plats i natt.
guest-current-heading = Gästens plats
guest-stay-elsewhere = Gästen har redan en plats på ett annat härbärge i natt.
guest-take-heading = Ge plats
guest-shelter = Härbärge
guest-shelter-show = Visa lediga sängar
guest-take-at = Plats på { $shelter }, från i natt.
guest-bed = Säng
guest-bed-suggested = Föreslagen säng: { $bed }
guest-no-free-bed = Ingen säng är ledig här alla nätter en plats behöver.
guest-take-submit = Ge plats

## A stay

stay-granted-heading = Platsen är given
stay-refused-heading = Ingen plats gavs
stay-shelter = Härbärge
stay-bed = Säng
stay-nights = Nätter
stay-nights-range = { $first } till { $last }
stay-nights-count = ({ $count } nätter)
stay-karenstid = Karenstid
stay-karenstid-range = { $first } till { $last }
stay-again = Ny plats möjlig från
stay-slip = Skriv ut lappen till gästen

## Refusals: the reason, then what to do next (one pair per code)

refusal-outside-target-group = Gästen hör inte till målgruppen: medborgare i ett annat EU-land än Sverige, eller med uppehållstillstånd i ett.
refusal-outside-target-group-next = Hänvisa personen till socialtjänsten.
refusal-minor = Gästen är under 18 år.
refusal-minor-next = En akut hänvisning till socialjouren är öppnad. Ring socialjouren; placera aldrig ett barn på härbärget.
refusal-in-quarantine = Gästen har karenstid efter en plats och kan få en ny plats från natten som börjar { $date }.
refusal-in-quarantine-next = En särskilt kall natt, eller vid akut behov via socialjouren, går en plats för en natt ändå.
refusal-already-has-stay = Gästen har redan en plats i natt.
refusal-already-has-stay-next = Checka in gästen på den platsen, eller flytta platsen.
refusal-already-placed = Gästen har redan en säng i natt.
refusal-already-placed-next = Se efter var gästen har sin säng i kväll.
refusal-banned = Gästen är avstängd härifrån till och med natten som börjar { $last }.
refusal-banned-next = En ny plats är möjlig från natten som börjar { $date }. Kontakta samordningen om något behöver göras i natt.
refusal-no-free-place = Ingen säng som passar är ledig här alla nätter platsen behöver.
refusal-no-free-place-next = Lediga sängar i natt på andra härbärgen:
refusal-category-not-allowed = Den här sortens säng är inte tillåten för gästen: kvinnoplatserna är för kvinnor, och extraplatserna bara för kalla nätter.
refusal-category-not-allowed-next = Välj en annan säng, eller låt tjänsten välja.
refusal-night-out-of-range = Natten måste vara mellan { $earliest } och { $latest }.
refusal-night-out-of-range-next = Ge platsen från i natt.
refusal-reservation-released = Gästens säng i natt släpptes efter klockan 23 och är tagen.
refusal-reservation-released-next = Sängar som fortfarande är lediga i natt:
refusal-not-a-cold-night = Natten är inte utlyst som särskilt kall natt.
refusal-not-a-cold-night-next = Kontakta samordningen.
refusal-other = Tjänsten sa nej.
refusal-other-next = Kontakta samordningen.
intake-alternative = { $shelter }: { $regular } vanliga, { $women } kvinnoplatser lediga
intake-free-bed = { $shelter }: säng { $bed }
intake-problem-input = Formuläret saknade något. Ladda om gästens sida och försök igen.
intake-problem-shelter = Du kan inte ge plats på det härbärget.

## A role that may not

intake-denied-title = Inte för din roll
intake-denied-guests = Att söka, läsa och registrera gäster får personal på härbärgena, samordnare och socialjouren.
intake-denied-stays = Att ge plats får personal på härbärgena och samordnare. Socialjouren kan göra en akutplacering för en natt.
