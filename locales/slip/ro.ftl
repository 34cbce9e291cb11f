# Bonul oaspetelui în română (src/web/slip.rs). Fiecare cheie este în
# toate locales/slip/*.ftl; altfel un test eșuează. Propoziții scurte și
# simple. De verificat de un vorbitor nativ al ONG-urilor.

slip-title = Patul tău la adăpostul de noapte
slip-shelter = Adăpost de noapte
slip-address = Adresa
slip-phone = Telefon
slip-bed = Patul tău
slip-first-night = Prima noapte (seara)
slip-leave = Eliberezi patul (dimineața)
slip-checkin = Sosirea
slip-checkin-value = în fiecare seară înainte de ora { $time }
slip-checkin-text = Dacă vii după ora { $time }, patul tău poate fi dat altcuiva în noaptea aceea.
slip-nights = Nopțile și paturile tale
slip-night = Noaptea
slip-wait-heading = După șederea ta: perioadă de așteptare (karenstid)
slip-wait-nights = Fără pat în aceste nopți
slip-wait-text = În perioada de așteptare nu poți primi pat la niciun adăpost de noapte.
slip-again = Poți primi un pat nou de la (seara)
slip-keep = Păstrează această hârtie. Arat-o la intrare.

## Date: "duminică, 1 decembrie 2019"

date-long = { $weekday }, { $day } { $month } { $year }
weekday-1 = luni
weekday-2 = marți
weekday-3 = miercuri
weekday-4 = joi
weekday-5 = vineri
weekday-6 = sâmbătă
weekday-7 = duminică
month-1 = ianuarie
month-2 = februarie
month-3 = martie
month-4 = aprilie
month-5 = mai
month-6 = iunie
month-7 = iulie
month-8 = august
month-9 = septembrie
month-10 = octombrie
month-11 = noiembrie
month-12 = decembrie
