# The admin's pages (users, shelters and places, rule sets). Every key here
# is in the other language's admin.ftl too; a test fails otherwise.

admin-nav = Administratörens sidor
admin-start-heading = Administration
admin-start-users = Användare
admin-start-shelters = Härbärgen och platser
admin-start-rules = Regeluppsättningar
admin-denied-title = Bara för administratören
admin-denied-text = Bara en administratör får se och ändra användare, härbärgen och regeluppsättningar. Fråga en administratör om något behöver ändras.
admin-yes = ja
admin-no = nej
admin-save = Spara
admin-nights = { $n ->
    [one] { $n } natt
   *[other] { $n } nätter
}
admin-degrees = { $c } °C

admin-done-user-created = Användaren har skapats. Hen kan logga in nu.
admin-done-user-changed = Användaren har ändrats. Det gäller från hens nästa steg.
admin-done-shelter-changed = Härbärgets adress och telefon har sparats.
admin-done-place-added = Platsen har lagts till.
admin-done-out-of-service = Platsen är ur bruk de nätterna.
admin-done-rule-set-created = Regeluppsättningen har lagts till. Den används för vistelser som börjar den natten eller senare; vistelser som redan getts behåller sina regler.

admin-refused-username-taken = Användarnamnet finns redan. Välj ett annat.
admin-refused-own-account = Du kan inte inaktivera ditt eget konto eller ta bort din egen administratörsroll. En annan administratör kan.
admin-refused-place-label-taken = Härbärget har redan en plats med den beteckningen. Välj en annan beteckning.
admin-refused-place-held = En gäst har platsen någon av de nätterna. Flytta gästen först, eller välj andra nätter.
admin-refused-not-found = Det här finns inte längre. Ladda om sidan.
admin-refused-other = Det gick inte att göra som du bad om. Ladda om sidan och försök igen.

admin-problem-username = Användarnamn: 3 till 64 tecken av a–z, 0–9, punkt, understreck eller bindestreck.
admin-problem-password = Lösenord: 10 till 256 tecken.
admin-problem-roles = Roller: välj minst en.
admin-problem-shelter_ids = Härbärgen: härbärgespersonal måste arbeta på minst ett härbärge.
admin-problem-address = Adress: högst 200 tecken text.
admin-problem-phone = Telefon: 3 till 30 tecken av siffror, mellanslag, bindestreck och parenteser, gärna med + först.
admin-problem-label = Beteckning: 1 till 20 tecken.
admin-problem-category = Sorts plats: välj en i listan.
admin-problem-night = Nätter: ange ett datum för första och sista natten, den sista inte före den första.
admin-problem-reason = Skäl: säg varför, med 1 till 500 tecken.
admin-problem-effective_from = Första natten måste vara { $date } eller senare: vistelser kan redan ha getts till natten före, och en regeluppsättning kommer efter den nyaste.
admin-problem-no_show_cutoff = Ange en tid på dygnet i timmar och minuter, till exempel 23:00.
admin-problem-nights-one = Ange ett helt antal nätter från 1 till 366.
admin-problem-nights-zero = Ange ett helt antal nätter från 0 till 366.
admin-problem-threshold = Ange en temperatur från −60 till 30 °C, till exempel −7.
admin-problem-countries = Ange landskoder med två bokstäver (ISO 3166-1), var och en en gång, åtskilda med kommatecken, till exempel RO, BG.
admin-problem-other = Något i formuläret är inte som det ska.

admin-users-title = Användare
admin-users-list = Alla med ett konto
admin-users-you = (du)
admin-users-roles = Roller
admin-users-shelters = Härbärgen
admin-users-no-shelters = inga
admin-users-state = Konto
admin-users-active = aktivt
admin-users-inactive = inaktiverat: kan inte logga in
admin-users-idp = Loggar in via stadens identitetstjänst
admin-users-idp-mark = Loggar in via stadens identitetstjänst (användarnamnet är hens namn där)
admin-users-deactivate = Inaktivera { $name }
admin-users-reactivate = Aktivera { $name } igen
admin-users-change = Ändra roller och härbärgen för { $name }
admin-users-new = En ny användare
admin-users-username = Användarnamn
admin-users-username-hint = 3 till 64 tecken: a–z, 0–9, punkt, understreck, bindestreck.
admin-users-password = Lösenord
admin-users-password-hint = Minst 10 tecken. Ge det till personen på ett säkert sätt.
admin-users-shelters-hint = Härbärgespersonal arbetar på de härbärgen som är ikryssade här.
admin-users-create = Skapa användaren

admin-shelters-title = Härbärgen och platser
admin-shelters-address = Adress
admin-shelters-phone = Telefon
admin-shelters-phone-hint = Som receptionen skulle slå det, till exempel 08-123 456 78. Lämna tomt om det inte finns.
admin-shelters-save = Spara adress och telefon för { $name }
admin-shelters-places = Platser
admin-shelters-no-places = Inga platser än.
admin-shelters-place = { $label } ({ $category })
admin-shelters-oos-intro = Ta { $label } ur bruk några nätter, till exempel för en reparation.
admin-shelters-first-night = Första natten
admin-shelters-last-night = Sista natten
admin-shelters-reason = Skäl
admin-shelters-oos = Ta { $label } ur bruk
admin-shelters-add-place = Lägg till en plats
admin-shelters-label = Beteckning
admin-shelters-category = Sorts plats
admin-shelters-add-to = Lägg till platsen på { $name }

admin-rules-title = Regeluppsättningar
admin-rules-intro = En regeluppsättning håller reglernas inställningar. Var och en används för vistelser som börjar dess natt eller senare; en vistelse behåller de regler den gavs med.
admin-rules-list = Regeluppsättningarna, nyaste först
admin-rules-from = Från natten { $date }
admin-rules-in-force = gäller i natt
admin-rules-effective_from = Första natten den gäller
admin-rules-regular_nights = Nätter för en vistelse på en vanlig plats
admin-rules-women_nights = Nätter för en vistelse på en kvinnoplats
admin-rules-quarantine_nights = Karenstid: nätter efter en vistelse innan en ny
admin-rules-quarantine-hint = 0 betyder att en ny vistelse får börja natten efter den sista.
admin-rules-no_show_cutoff = Tid då en väntad gäst räknas som uteblev
admin-rules-no_show_ends_stay_after = Uteblivna nätter i rad som avslutar en vistelse
admin-rules-booking_horizon_nights = Nätter framåt en vistelse får börja
admin-rules-cold_night_threshold_c = Prognosens lägsta temperatur vid eller under vilken en natt föreslås som kall
admin-rules-target_citizenships = Målgrupp efter medborgarskap
admin-rules-target_permit_countries = Målgrupp efter uppehållstillstånd
admin-rules-countries-hint = Landskoder med två bokstäver åtskilda med kommatecken, till exempel RO, BG.
admin-rules-new = Lägg till en regeluppsättning
admin-rules-first-night = Den första natt en ny regeluppsättning kan gälla är { $date }.
admin-rules-first-night-horizon = I natt är det { $tonight } och vistelser kan ges { $horizon } natt/nätter framåt, till { $bookable }; de vistelserna behåller de regler de gavs med.
admin-rules-first-night-newest = Den nyaste regeluppsättningen gäller från { $newest }; en ny kommer efter den.
admin-rules-new-hint = Formuläret har den nyaste regeluppsättningens inställningar; ändra det som ska ändras.
admin-rules-refused = Regeluppsättningen lades inte till. Se vad som ska ändras vid fälten.
admin-rules-create = Lägg till regeluppsättningen
