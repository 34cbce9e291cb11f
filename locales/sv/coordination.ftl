# The coordinator's pages: cold nights and the referrals inbox.

coordination-start-heading = Samordning
coord-start-cold-nights = Särskilt kalla nätter
coord-start-referrals = Remisser

coord-denied-title = Sidan är inte till för din roll
coord-denied-text = Den här sidan är till för samordnare (kalla nätter) eller för dem som arbetar med remisser: socialjouren, EU-teamet och samordnare. Fråga en samordnare om du behöver något härifrån.

## Cold nights

coord-cold-title = Särskilt kalla nätter
coord-cold-intro = Natten i kväll och de sju nätter som kan förklaras kalla nu, med prognosens lägsta temperatur. Tjänsten föreslår en kall natt när prognosen är { $threshold } eller kallare; bara din förklaring öppnar extraplatser.
coord-no-forecast-source = Tjänsten har ingen väderprognos inställd, så den föreslår inga kalla nätter. Du kan ändå förklara en natt kall.
coord-tonight = i kväll
coord-night-name = { $weekday } { $date }
coord-degrees = { $value } °C
coord-forecast = Prognos, lägsta
coord-forecast-none = Ingen prognos
coord-suggestion = Tjänstens förslag
coord-suggested = Föreslås som kall natt
coord-not-suggested = Inget förslag
coord-state = Läge
coord-is-declared = Förklarad kall natt.
coord-declared-reason = Skäl: { $reason }
coord-not-declared = Inte förklarad
coord-no-openings = Inga extraplatser öppna.
coord-openings = Extraplatser öppna: { $count }
coord-opening = { $shelter }: { $count }
coord-declare-link = Förklara { $night } som kall natt
coord-change-link = Ändra eller dra tillbaka { $night }
coord-weekday-1 = måndag
coord-weekday-2 = tisdag
coord-weekday-3 = onsdag
coord-weekday-4 = torsdag
coord-weekday-5 = fredag
coord-weekday-6 = lördag
coord-weekday-7 = söndag

coord-night-title = Kall natt { $night }
coord-declare-heading = Förklara natten kall
coord-change-heading = Fler eller färre extraplatser
coord-reason = Skäl
coord-reason-hint = Till exempel ”SMHI: −14 °C i natt”. Visas för alla som ser natten.
coord-forecast-field = Prognosens lägsta temperatur, °C (frivilligt)
coord-forecast-hint = Ett tal mellan −60 och 50, till exempel −12,5.
coord-places-legend = Extraplatser per härbärge
coord-places-hint = Hur många extraplatser varje härbärge öppnar den här natten (0 till 200). Färre än nu stänger platser; en plats som en gäst har fått kan inte stängas.
coord-declare-submit = Förklara kall natt
coord-change-submit = Spara ändringen
coord-withdraw-heading = Dra tillbaka
coord-withdraw-text = Natten blir en vanlig natt igen och alla extraplatser stängs. Det går bara när ingen gäst har fått en extraplats den natten.
coord-withdraw-submit = Dra tillbaka kall natt { $night }
coord-back = Tillbaka till kalla nätter

coord-declared = { $night } är förklarad kall natt. Socialjouren ser det på sin tavla.
coord-changed = Ändringen för { $night } är sparad.
coord-withdrawn = { $night } är inte längre en kall natt; extraplatserna är stängda.

coord-refusal-overflow-place-held = Inget ändrades: en gäst har redan fått en extraplats som det här skulle stänga. Låt minst lika många extraplatser vara öppna vid det härbärget som gäster har fått där. En natt där en gäst har en extraplats kan inte dras tillbaka.
coord-refusal-night-out-of-range = Den natten kan inte förklaras nu. Välj en natt från { $earliest } till { $latest }.
coord-refusal-request-in-progress = Formuläret skickas redan. Vänta ett ögonblick och ladda om sidan för att se svaret.
coord-refusal-not-declared = Natten är inte förklarad kall (kanske har någon redan dragit tillbaka den). Listan nedan visar läget nu.
coord-refusal-reason = Skriv skälet till att natten är kall (högst 500 tecken).
coord-refusal-forecast = Prognosens lägsta temperatur ska vara ett tal mellan −60 och 50, eller lämnas tom.
coord-refusal-places = Antalet extraplatser ska vara ett heltal från 0 till 200 för varje härbärge.
coord-refusal-other = Det gick inte att spara. Försök igen; kvarstår felet, kontakta den som sköter tjänsten.

## Referrals

coord-referrals-title = Remisser
coord-referrals-intro = Remisser till socialjouren och EU-teamet, de nyaste först. En remiss tas av den som arbetar med den och stängs när den är klar.
coord-filter-label = Visa remisser
coord-filter-all = Alla
coord-filter-open = Öppna
coord-filter-taken = Tagna
coord-filter-closed = Stängda
coord-no-referrals = Inga remisser här.
coord-a-guest = En gäst
coord-acute = Akut
coord-status-open = öppen
coord-status-taken = tagen
coord-status-closed = stängd
coord-opened = Öppnad
coord-last-taken = Tagen
coord-last-closed = Stängd
coord-last-handed-back = Lämnad tillbaka
coord-when = { $date } kl. { $time }
coord-by = { $when } av { $who }
coord-note = Anteckning
coord-note-field = Anteckning (frivillig)
coord-note-hint = Ersätter anteckningen som finns. Skriv inget känsligt som inte behövs.
coord-move-taken = Ta remissen
coord-move-closed = Stäng
coord-move-open = Lämna tillbaka
coord-moved = Remissen är nu { $status }.
coord-refusal-referral-transition = Remissen har redan flyttats av någon annan. Listan nedan visar var den står nu.
coord-refusal-referral-not-found = Remissen finns inte.
coord-refusal-note = Anteckningen får vara högst 2000 tecken.
coord-reason-minor = Minderårig
coord-reason-pregnant = Gravid
coord-reason-elderly = Äldre
coord-reason-addiction = Svårt beroende
coord-reason-mental_illness = Psykisk ohälsa
coord-reason-disability = Funktionsnedsättning
coord-reason-child = Barn
coord-reason-other = Annat
