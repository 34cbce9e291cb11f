# Бележката за госта на български (src/web/slip.rs). Всеки ключ е във
# всички locales/slip/*.ftl; иначе тест се проваля. Кратки, прости
# изречения. Да се провери от носител на езика в организациите.

slip-title = Твоето легло в нощния приют
slip-shelter = Нощен приют
slip-address = Адрес
slip-phone = Телефон
slip-bed = Твоето легло
slip-first-night = Първа нощ (вечерта)
slip-leave = Напускаш леглото (сутринта)
slip-checkin = Пристигане
slip-checkin-value = всяка вечер преди { $time } ч.
slip-checkin-text = Ако дойдеш след { $time } ч., леглото ти може да бъде дадено на друг човек за тази нощ.
slip-nights = Твоите нощи и легла
slip-night = Нощ
slip-wait-heading = След престоя: период на изчакване (karenstid)
slip-wait-nights = Без легло през тези нощи
slip-wait-text = През периода на изчакване не можеш да получиш легло в нито един нощен приют.
slip-again = Можеш да получиш ново легло от (вечерта)
slip-keep = Пази този лист. Покажи го на входа.

## Дати: "неделя, 1 декември 2019 г."

date-long = { $weekday }, { $day } { $month } { $year } г.
weekday-1 = понеделник
weekday-2 = вторник
weekday-3 = сряда
weekday-4 = четвъртък
weekday-5 = петък
weekday-6 = събота
weekday-7 = неделя
month-1 = януари
month-2 = февруари
month-3 = март
month-4 = април
month-5 = май
month-6 = юни
month-7 = юли
month-8 = август
month-9 = септември
month-10 = октомври
month-11 = ноември
month-12 = декември
