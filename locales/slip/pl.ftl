# Karta gościa po polsku (src/web/slip.rs). Każdy klucz jest we
# wszystkich locales/slip/*.ftl; inaczej test nie przechodzi. Krótkie,
# proste zdania. Do sprawdzenia przez native speakera w organizacjach.

slip-title = Twoje łóżko w noclegowni
slip-shelter = Noclegownia
slip-address = Adres
slip-phone = Telefon
slip-bed = Twoje łóżko
slip-first-night = Pierwsza noc (wieczorem)
slip-leave = Zwalniasz łóżko (rano)
slip-checkin = Przyjście
slip-checkin-value = każdego wieczoru przed godziną { $time }
slip-checkin-text = Jeśli przyjdziesz po godzinie { $time }, twoje łóżko na tę noc może dostać ktoś inny.
slip-nights = Twoje noce i łóżka
slip-night = Noc
slip-wait-heading = Po pobycie: czas oczekiwania (karenstid)
slip-wait-nights = Bez łóżka w te noce
slip-wait-text = W czasie oczekiwania nie dostaniesz łóżka w żadnej noclegowni.
slip-again = Kiedy znowu dostaniesz łóżko (wieczorem)
slip-keep = Zachowaj tę kartkę. Pokaż ją przy wejściu.

## Daty: "niedziela, 1 grudnia 2019" (miesiąc w dopełniaczu)

date-long = { $weekday }, { $day } { $month } { $year }
weekday-1 = poniedziałek
weekday-2 = wtorek
weekday-3 = środa
weekday-4 = czwartek
weekday-5 = piątek
weekday-6 = sobota
weekday-7 = niedziela
month-1 = stycznia
month-2 = lutego
month-3 = marca
month-4 = kwietnia
month-5 = maja
month-6 = czerwca
month-7 = lipca
month-8 = sierpnia
month-9 = września
month-10 = października
month-11 = listopada
month-12 = grudnia
