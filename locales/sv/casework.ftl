# The coordinator's pages: incidents, bans, complaints and feedback, the survey.
# Every key here is in the other language's casework.ftl too; a test fails otherwise.

## The start page
case-start-incidents = Händelser och avstängningar
case-start-incident-new = Rapportera en händelse (hot eller våld)
case-start-complaints = Synpunkter och klagomål
case-start-complaint-new = Ta emot en synpunkt eller ett klagomål
case-start-survey = Brukarundersökningen

## Who may
case-denied-title = Inte för din roll
case-denied-coordinator = Den här sidan är för samordnare. Kontakta samordningen om du behöver den.
case-denied-record = Att rapportera händelser, synpunkter och klagomål och att föra in enkätsvar är för samordnare och härbärgespersonal, på de egna härbärgena.

## Shared fields
case-shelter = Härbärge
case-night = Natt
case-night-hint = Natten som börjar det datumet. Lämna tomt för i natt.
case-period-from = Från natten
case-period-to = Till och med natten
case-period-show = Visa
case-found-meta = född { $year }, kort { $card }

## Incidents
case-incidents-title = Händelser med hot och våld
case-incidents-intro = Händelserna vid härbärgena, de senaste först. Under varje händelse kan en inblandad gäst stängas av, vid härbärget eller vid alla härbärgen; avstängningen vilar då på händelsen.
case-incidents-record-link = Rapportera en ny händelse
case-incidents-count = Händelser ({ $count })
case-incidents-none = Inga händelser under de här nätterna.
case-incident-heading = { $kind }, natten som började { $night }
case-incident-shelter = Härbärge
case-incident-recorded = Rapporterad
case-incident-no-guests = Ingen gäst är angiven.
case-incident-guests = Inblandade gäster
case-incident-kind-threat = Hot
case-incident-kind-violence = Våld
case-ban-summary = Stäng av { $name }
case-ban-where = Var avstängningen gäller
case-ban-at-shelter = Bara vid { $shelter }
case-ban-at-all = Vid alla härbärgen
case-ban-first = Första natten
case-ban-last = Sista natten
case-ban-reason = Skäl
case-ban-submit = Stäng av { $name }
case-to-incidents = Till händelserna
case-incident-new-title = Rapportera en händelse
case-incident-new-intro = Hot och våld rapporteras här och når samordningen. Sök först fram de gäster som var inblandade.
case-incident-find-heading = Inblandade gäster
case-incident-find-label = Hitta gästen
case-incident-find-hint = Namn, kortnummer eller födelseår.
case-incident-find-submit = Sök
case-incident-record-heading = Händelsen
case-incident-guests-legend = Gäster som var inblandade
case-incident-guests-search-first = Sök fram gästerna ovan; en händelse kan också rapporteras utan gäst.
case-incident-found-none = Ingen gäst hittades. Kontrollera stavningen.
case-incident-kind = Vad hände?
case-incident-description = Beskrivning
case-incident-description-hint = Vad som hände, vem som var där och vad som gjordes. Högst 4000 tecken.
case-incident-submit = Rapportera händelsen

## Complaints and feedback
case-complaints-title = Synpunkter och klagomål
case-complaints-intro = Synpunkterna och klagomålen med sina texter, de senaste först. Varje läsning loggas, eftersom texterna kan nämna personer. Ett klagomål går från mottaget till under behandling, besvarat (med ett svar) och avslutat.
case-complaints-record-link = Ta emot en ny synpunkt eller ett nytt klagomål
case-complaints-status = Läge
case-complaints-status-all = Alla
case-complaints-count = Synpunkter och klagomål ({ $count })
case-complaints-none = Inga synpunkter eller klagomål under de här nätterna.
case-complaint-heading = { $kind }: { $category }
case-complaint-shelter = Härbärge
case-complaint-night = Natten som började
case-complaint-source = Från
case-complaint-recorded = Mottaget
case-complaint-response = Svar
case-move-response = Svar
case-move-response-hint = Behövs för att markera som besvarat.
case-move-received = Markera som mottaget
case-move-in_progress = Markera som under behandling
case-move-answered = Markera som besvarat
case-move-closed = Avsluta
case-status-received = Mottaget
case-status-in_progress = Under behandling
case-status-answered = Besvarat
case-status-closed = Avslutat
case-source-guest = En gäst
case-source-staff = Personalen
case-kind-complaint = Klagomål
case-kind-feedback = Synpunkt
case-category-treatment = Bemötande
case-category-safety = Trygghet
case-category-hygiene = Hygien
case-category-food = Mat
case-category-rules = Regler
case-category-premises = Lokaler
case-category-information = Information
case-category-other = Annat
case-to-complaints = Till synpunkterna och klagomålen
case-complaint-new-title = Ta emot en synpunkt eller ett klagomål
case-complaint-new-intro = Skriv ner vad gästen eller personalen vill framföra. Samordningen läser det och svarar.
case-complaint-kind = Är det ett klagomål eller en synpunkt?
case-complaint-source-legend = Vem framför det?
case-complaint-category = Vad gäller det?
case-complaint-category-choose = Välj
case-complaint-text = Vad som framförs
case-complaint-text-hint = Med egna ord. Högst 4000 tecken.
case-complaint-submit = Spara

## The survey
case-survey-title = Brukarundersökningen
case-survey-intro = En gästs svar åt gången. Svaren sparas utan namn, utan vem som förde in dem och utan klockslag.
case-survey-declined-hint = Varje fråga kan lämnas utan svar. Vill gästen inte svara alls, spara utan svar: det räknas ändå.
case-survey-no-answer = Inget svar
case-survey-q-safe = Kände du dig trygg på härbärget?
case-survey-q-respected = Bemötte personalen dig med respekt?
case-survey-q-clean = Var härbärget och sängarna rena?
case-survey-q-informed = Fick du den information du behövde om annan hjälp?
case-survey-q-overall = Hur bra är härbärget, sammantaget (1 mycket dåligt, 5 mycket bra)?
case-survey-a-safe-yes = Ja
case-survey-a-safe-partly = Delvis
case-survey-a-safe-no = Nej
case-survey-a-respected-yes = Ja
case-survey-a-respected-partly = Delvis
case-survey-a-respected-no = Nej
case-survey-a-clean-yes = Ja
case-survey-a-clean-partly = Delvis
case-survey-a-clean-no = Nej
case-survey-a-informed-yes = Ja
case-survey-a-informed-partly = Delvis
case-survey-a-informed-no = Nej
case-survey-a-overall-1 = 1, mycket dåligt
case-survey-a-overall-2 = 2
case-survey-a-overall-3 = 3
case-survey-a-overall-4 = 4
case-survey-a-overall-5 = 5, mycket bra
case-survey-submit = Spara svaren

## What was done
case-done-incident = Händelsen är rapporterad.
case-done-banned = Gästen är avstängd. En vistelse som avstängningen omfattar har avslutats.
case-done-moved = Klagomålet har flyttats vidare.
case-done-complaint = Det är sparat. Samordningen ser det nu.
case-done-survey = Svaren är sparade. Formuläret är tomt för nästa gäst.

## Problems, with what to do
case-problem-complaint-transition = Klagomålet kan inte gå dit från där det är nu (någon kan ha flyttat det under tiden). Se läget nedan och välj ett av stegen som erbjuds.
case-problem-request-in-progress = Formuläret skickas redan. Vänta ett ögonblick och ladda om sidan.
case-problem-shelter = Det här härbärget är inte ett du arbetar på. Välj ett av dina härbärgen.
case-problem-not-found = Det finns inte (längre). Ladda om sidan och försök igen.
case-problem-input = Något i formuläret gick inte att läsa. Kontrollera fälten och försök igen.
case-problem-other = Det gick inte. Försök igen om en stund.
case-field-key = Formuläret har redan skickats med andra uppgifter. Ladda om sidan och fyll i det igen.
case-field-shelter_id = Välj ett härbärge.
case-field-night = Natten ska vara ett datum, till exempel 2022-05-10.
case-field-kind = Välj vilket slag det är.
case-field-description = Beskriv händelsen (högst 4000 tecken).
case-field-guest_ids = En av gästerna finns inte. Sök fram gästen igen.
case-field-guest_id = Gästen finns inte. Ladda om sidan.
case-field-first_night = Första natten ska vara ett datum.
case-field-last_night = Sista natten ska vara ett datum, samma som eller efter den första.
case-field-reason = Skriv skälet till avstängningen (högst 500 tecken).
case-field-incident_ids = Händelsen gäller inte den här gästen, eller finns inte.
case-field-source = Välj vem som framför det.
case-field-category = Välj vad det gäller.
case-field-text = Skriv vad som framförs (högst 4000 tecken).
case-field-status = Välj ett av stegen som erbjuds.
case-field-response = Skriv svaret för att markera klagomålet som besvarat (högst 4000 tecken).
case-field-safe = Välj ett av svaren på frågan om trygghet.
case-field-respected = Välj ett av svaren på frågan om bemötande.
case-field-clean = Välj ett av svaren på frågan om renlighet.
case-field-informed = Välj ett av svaren på frågan om information.
case-field-overall = Betyget ska vara 1 till 5.
case-field-from = Från-natten ska vara ett datum.
case-field-to = Till-natten ska vara ett datum, högst 400 nätter efter från-natten.
