# Tonight's list and its acts (check-in, end, move). Every key here is in
# the other language's desk.ftl too; a test fails otherwise.

## Acting from tonight's list

desk-acts = Åtgärder
desk-checkin = Checka in
desk-checkin-row = Checka in { $guest } på säng { $bed }
desk-checkin-bed-label = Checka in via säng
desk-checkin-bed-submit = Checka in
desk-checkin-bed-hint = Skriv sängens beteckning, till exempel R02, och tryck Enter: gästen där checkas in. Tangenten I hoppar hit; R uppdaterar listan.
desk-no-show-hint = Inte här före 23:00: sängen kan gå till någon annan.
desk-more = Flytta eller avsluta, säng { $bed }
desk-no-free-bed = Ingen säng här är ledig i natt att flytta till.
desk-free-bed = { $bed } ({ $category })
desk-move-label = Flytta { $guest } till säng
desk-move-submit = Flytta
desk-end-reason = Varför vistelsen för { $guest } avslutas
desk-end-submit = Avsluta vistelsen…
desk-end-confirm = Avsluta vistelsen för { $guest } på säng { $bed }?
desk-end-confirm-reason = Skäl: { $reason }. Nattens säng släpps om gästen inte redan checkat in; karenstiden efter vistelsen står kvar.
desk-end-yes = Ja, avsluta vistelsen
desk-end-cancel = Avbryt

desk-late-heading = Sena gäster vars säng gått till någon annan
desk-late-hint = De checkade inte in före 23:00 och deras säng har nu någon annan. Flytta vistelsen till en ledig säng och checka sedan in gästen på den nya sängens rad.
desk-late-guest = { $guest } (hade säng { $bed })

## What an act came to

desk-checked-in = { $guest } är incheckad på säng { $bed } ({ $time }).
desk-moved = { $guest } har säng { $bed } i natt. Checka in gästen när hen är vid disken.
desk-ended = Vistelsen är avslutad. Sängen är ledig från i natt, om inte gästen redan checkat in.
desk-no-guest-at-bed = Ingen gäst med vistelse har säng { $bed } i natt. Kontrollera beteckningen i listan nedan, eller använd gästens egen knapp.
desk-not-your-shelter = Ditt konto arbetar inte på det här härbärget. Bara dess personal kan göra något i dess lista.
desk-refused-released = Gästen checkade inte in före 23:00 och sängen har gått till någon annan. Flytta vistelsen till en ledig säng (under "Sena gäster" nedanför listan) och checka sedan in gästen.
desk-refused-no-free-place = Den sängen är inte längre ledig i natt. Välj en annan ledig säng; listan är uppdaterad.
desk-refused-category = Sängens kategori passar inte gästen: kvinnosängar är för kvinnor, extrasängar bara för kalla nätter. Välj en säng av en annan kategori.
desk-refused-banned = Gästen är avstängd från härbärget till och med natten { $date }. Fråga socialjouren eller ett annat härbärge om en säng.
desk-refused-night = Vistelsen har ingen natt i natt, så det finns inget att checka in. Kontrollera vistelsens datum med en samordnare.
desk-refused-not-active = Vistelsen är redan avslutad eller makulerad. Listan är uppdaterad.
desk-refused-in-progress = Det du skickade nyss håller fortfarande på att göras. Vänta en stund och skicka igen; det görs inte två gånger.
desk-refused-busy = Andra diskar tog sängar i samma ögonblick. Skicka igen.
desk-refused-reason = Skriv varför vistelsen avslutas (högst 500 tecken) och skicka igen.
desk-refused-key-reused = Formuläret har redan använts till något annat. Listan är uppdaterad: skicka från den igen.
desk-refused-not-found = Den vistelsen eller sängen finns inte på härbärget i natt. Listan är uppdaterad.
desk-refused-other = Reglerna tillåter inte detta. Fråga en samordnare.
desk-failed = Tjänsten kunde inte göra detta. Försök igen om en stund; felet är loggat.
